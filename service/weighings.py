"""Batch ingestion of scale events: idempotent by event id, implausible events kept with reasons.

Every event of a batch gets an answer (accepted, duplicate or rejected), and the device deletes it
from its queue only then. Rejected events land in `rejected_event` for staff, once per event id.

Clock skew: a Pi without network time may be minutes or years off. The batch carries the device's
clock at sending; the difference to the server's clock at receipt is added to every event time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zerowaste.service.db.models import Bin, Device, Household, RejectedEvent, Weighing
from zerowaste.service.weekly import weeks_changed
from zerowaste.wire import ID_CHARS, BatchResult, EventResult, WeighingEvent, printable

GROSS_TOLERANCE_KG = 0.5  # a tared scale may read slightly below zero


@dataclass(frozen=True)
class TimeBounds:
    """When, after clock correction, a weighing may have been measured: not later than `max_future_s`
    after now, not earlier than `max_age_days` before it."""

    max_future_s: float = 300.0
    max_age_days: float = 180.0


def utc(t: dt.datetime) -> dt.datetime:
    """Times are stored in UTC; SQLite hands them back without a zone."""
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def week_of(t: dt.datetime, zone: ZoneInfo) -> dt.date:
    local = t.astimezone(zone).date()
    return local - dt.timedelta(days=local.weekday())


def plausibility(
    event: WeighingEvent,
    measured_at: dt.datetime,
    device: Device,
    bin_: Bin | None,
    now: dt.datetime,
    bounds: TimeBounds,
) -> list[str]:
    reasons = []
    if event.device != device.id:
        reasons.append(f"event names device {event.device!r} but was sent with the key of {device.id!r}")
    if bin_ is None:
        reasons.append(f"unknown bin {event.bin!r}")
    else:
        if bin_.device_id != device.id:
            reasons.append(f"bin {bin_.id!r} belongs to another device")
        if bin_.stream != event.stream:
            reasons.append(f"bin {bin_.id!r} collects {bin_.stream!r}, not {event.stream!r}")
        if event.gross_kg > bin_.max_load_kg or abs(event.net_kg) > bin_.max_load_kg:
            reasons.append(f"over the bin's maximum load of {bin_.max_load_kg:g} kg")
        since = utc(bin_.in_service_from or bin_.created_at)
        if (since - measured_at).total_seconds() > bounds.max_future_s:
            reasons.append(
                f"measured {measured_at.isoformat()}, before bin {bin_.id!r} was in service ({since:%Y-%m-%d})"
            )
    if event.kind == "deposit" and event.net_kg <= 0:
        reasons.append("a deposit must add weight (net_kg > 0)")
    if event.kind in ("removal", "emptying") and event.net_kg >= 0:
        reasons.append(f"a {event.kind} must remove weight (net_kg < 0)")
    if event.gross_kg < -GROSS_TOLERANCE_KG:
        reasons.append(f"negative gross weight {event.gross_kg:g} kg: tare the scale")
    if (measured_at - now).total_seconds() > bounds.max_future_s:
        reasons.append(f"measured {measured_at.isoformat()}, in the future even after clock correction")
    # A Pi whose clock was wrong when it weighed (1970 after a boot without network time) would move a
    # household's baseline weeks into the past and its trend by thousands of percent.
    if now - measured_at > dt.timedelta(days=bounds.max_age_days):
        reasons.append(
            f"measured {measured_at.isoformat()}, more than {bounds.max_age_days:g} days ago: is the clock right?"
        )
    return reasons


def ingest(
    session: Session,
    device: Device,
    raw_events: list[Any],
    sent_at: dt.datetime,
    *,
    zone: ZoneInfo,
    bounds: TimeBounds,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Store a batch; safe to call again with the same events (retries, lost answers, races)."""
    try:
        return _ingest(session, device, raw_events, sent_at, zone=zone, bounds=bounds, now=now)
    except IntegrityError:
        # A concurrent request stored some of these ids first (a retry racing its own original):
        # start over, and they are now duplicates.
        session.rollback()
        return _ingest(session, device, raw_events, sent_at, zone=zone, bounds=bounds, now=now)


def retry_rejected(
    session: Session, rejected: RejectedEvent, device: Device, *, zone: ZoneInfo, bounds: TimeBounds
) -> EventResult:
    """Check a kept event again (its bin may be registered by now); accepted ones leave the review list."""
    payload, offset = rejected.payload, dt.timedelta(seconds=rejected.clock_offset_s)
    session.delete(rejected)
    session.flush()
    now = dt.datetime.now(dt.UTC)
    return ingest(session, device, [payload], now - offset, zone=zone, bounds=bounds, now=now).results[0]


ID_PATTERN = re.compile(f"^{ID_CHARS}{{8,64}}$")  # WeighingEvent's id: its characters and lengths


def event_key(raw: dict[str, Any]) -> str:
    """The id an event is kept under: its own if well-formed; otherwise one made from its content, so
    that the same malformed event sent again gets the same answer and two different ones never share
    a row (a missing id used to become the batch position, and a second batch's collided)."""
    given = raw.get("id")
    if isinstance(given, str) and ID_PATTERN.fullmatch(given):
        return given
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:24]
    return f"malformed-{digest}"


def _without_nul(value: Any) -> Any:
    """The payload as sent, but a NUL written out as the text \\u0000: PostgreSQL's JSON operators
    (a household's deletion looks up the rejected events naming its bins) fail on a real one."""
    if isinstance(value, str):
        return value.replace("\x00", "\\u0000")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def same_event(weighing: Weighing, raw: dict[str, Any]) -> bool:
    """Whether `raw` says what the counted `weighing` says (a resend), as far as its fields go."""
    try:
        event = WeighingEvent.model_validate(raw)
    except ValidationError:
        return False
    return (event.bin, event.stream, event.kind, event.net_kg, event.gross_kg) == (
        weighing.bin_id,
        weighing.stream,
        weighing.kind,
        weighing.net_kg,
        weighing.gross_kg,
    ) and utc(event.measured_at) == utc(weighing.device_time)


def _ingest(
    session: Session,
    device: Device,
    raw_events: list[Any],
    sent_at: dt.datetime,
    *,
    zone: ZoneInfo,
    bounds: TimeBounds,
    now: dt.datetime | None,
) -> BatchResult:
    now = now or dt.datetime.now(dt.UTC)
    skew = now - sent_at
    ids = [event_key(e) for e in raw_events if isinstance(e, dict)]
    # Ids are the device's own: only this device's weighings can make one of its events a duplicate.
    stored = {
        w.event_id: w
        for w in session.scalars(select(Weighing).where(Weighing.device_id == device.id, Weighing.event_id.in_(ids)))
    }
    kept = {
        r.event_id: r
        for r in session.scalars(
            select(RejectedEvent).where(RejectedEvent.device_id == device.id, RejectedEvent.event_id.in_(ids))
        )
    }
    # A bin id with control characters names no bin (and PostgreSQL would refuse it in the query).
    bin_ids = {b for e in raw_events if isinstance(e, dict) and (b := str(e.get("bin", ""))) == printable(b)}
    # Each bin with its household's neighbourhood: an accepted weighing moves that neighbourhood's median.
    rows = session.execute(select(Bin, Household.neighbourhood_id).join(Household).where(Bin.id.in_(bin_ids)))
    bins: dict[str, Bin] = {}
    hood_of: dict[str, int] = {}
    for bin_row, hood in rows:
        bins[bin_row.id], hood_of[bin_row.id] = bin_row, hood
    seen: dict[str, dict[str, Any]] = {}
    changed: set[tuple[int, dt.date]] = set()  # (neighbourhood, week) whose median moves
    results: list[EventResult] = []
    for i, raw in enumerate(raw_events):
        if not isinstance(raw, dict):
            results.append(EventResult(id=f"#{i}", status="rejected", reasons=["not a JSON object"]))
            continue
        event_id = event_key(raw)
        earlier = stored.get(event_id)
        if (earlier is not None and same_event(earlier, raw)) or seen.get(event_id) == raw:
            results.append(EventResult(id=event_id, status="duplicate"))
            continue
        if event_id in kept:  # rejected before: same answer, no second row
            results.append(EventResult(id=event_id, status="rejected", reasons=kept[event_id].reasons))
            continue
        if earlier is not None or event_id in seen:
            # The id of a counted event, with other content: the second event would be lost as a
            # "duplicate"; kept for staff instead (a device reusing ids after a reset, say).
            conflict = [f"another event with this id and other content was counted already ({event_id})"]
            results.append(_reject(session, device, event_id, raw, conflict, now, skew))
            continue
        seen[event_id] = raw
        try:
            event = WeighingEvent.model_validate(raw)
        except ValidationError as exc:
            reasons = [f"{'.'.join(str(p) for p in err['loc']) or 'event'}: {err['msg']}" for err in exc.errors()]
            results.append(_reject(session, device, event_id, raw, reasons, now, skew))
            continue
        try:
            measured_at = event.measured_at + skew
        except OverflowError:  # year 1 on one clock, 9999 on the other
            results.append(
                _reject(session, device, event_id, raw, ["measured_at out of range after clock correction"], now, skew)
            )
            continue
        bin_ = bins.get(event.bin)
        reasons = plausibility(event, measured_at, device, bin_, now, bounds)
        if reasons or bin_ is None:
            results.append(_reject(session, device, event_id, raw, reasons, now, skew))
            continue
        session.add(
            Weighing(
                event_id=event.id,
                bin_id=bin_.id,
                household_id=bin_.household_id,
                device_id=device.id,
                stream=event.stream,
                kind=event.kind,
                net_kg=event.net_kg,
                gross_kg=event.gross_kg,
                # In UTC: SQLite keeps a time without its zone, so an offset would be lost there.
                measured_at=utc(measured_at),
                device_time=utc(event.measured_at),
                week=(week := week_of(measured_at, zone)),
                received_at=now,
                firmware=event.firmware,
                calibration_version=event.calibration_version,
                quality=None if event.quality is None else event.quality.model_dump(mode="json"),
                contaminated=None if event.quality is None else event.quality.contaminated,
            )
        )
        results.append(EventResult(id=event_id, status="accepted"))
        changed.add((hood_of[bin_.id], week))
    weeks_changed(session, changed)
    device.last_seen_at, device.clock_offset_s = now, skew.total_seconds()
    firmware = next(
        (
            printable(str(e.get("firmware")))[:64]
            for e in reversed(raw_events)
            if isinstance(e, dict) and e.get("firmware")
        ),
        None,
    )
    device.firmware = firmware or device.firmware
    session.commit()
    counts = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
    return BatchResult(
        server_time=now,
        clock_offset_s=skew.total_seconds(),
        accepted=counts["accepted"],
        duplicates=counts["duplicate"],
        rejected=counts["rejected"],
        results=results,
    )


def _reject(
    session: Session,
    device: Device,
    event_id: str,
    raw: dict[str, Any],
    reasons: list[str],
    now: dt.datetime,
    skew: dt.timedelta,
) -> EventResult:
    session.add(
        RejectedEvent(
            device_id=device.id,
            event_id=event_id,
            payload=_without_nul(raw),
            reasons=reasons,
            received_at=now,
            clock_offset_s=skew.total_seconds(),
        )
    )
    return EventResult(id=event_id, status="rejected", reasons=reasons)


class UnknownWeighing(LookupError):
    """No counted weighing has this event id."""


class AmbiguousWeighing(LookupError):
    """Several devices counted an event under this id: the device must be named."""


def void_weighing(
    session: Session, event_id: str, *, by: str, reason: str, device_id: str | None = None
) -> RejectedEvent:
    """Stop counting one weighing, keeping it for the record: it moves to the rejected events with
    status `voided`, who voided it, when and why (a retry there counts it again). The household's
    weeks and its neighbourhood's medians are computed again from what is left."""
    query = select(Weighing).where(Weighing.event_id == event_id)
    matches = list(session.scalars(query if device_id is None else query.where(Weighing.device_id == device_id)))
    if not matches:
        raise UnknownWeighing(f"no counted weighing {event_id!r}")
    if len(matches) > 1:
        raise AmbiguousWeighing(f"devices {sorted(w.device_id for w in matches)} used the id {event_id!r}: name one")
    weighing = matches[0]
    hood = session.scalar(select(Household.neighbourhood_id).where(Household.id == weighing.household_id))
    measured, device_time = utc(weighing.measured_at), utc(weighing.device_time or weighing.measured_at)
    kept = RejectedEvent(
        device_id=weighing.device_id,
        event_id=weighing.event_id,
        payload={
            "id": weighing.event_id,
            "device": weighing.device_id,
            "bin": weighing.bin_id,
            "stream": weighing.stream,
            "kind": weighing.kind,
            "net_kg": weighing.net_kg,
            "gross_kg": weighing.gross_kg,
            "measured_at": device_time.isoformat(),
            "firmware": weighing.firmware,
            "calibration_version": weighing.calibration_version,
            **({"quality": weighing.quality} if weighing.quality is not None else {}),
        },
        reasons=[f"voided by {by}: {reason}"],
        received_at=utc(weighing.received_at),
        clock_offset_s=(measured - device_time).total_seconds(),
        review_status="voided",
        reviewed_by=by,
        reviewed_at=dt.datetime.now(dt.UTC),
    )
    session.delete(weighing)
    session.add(kept)
    if hood is not None:
        weeks_changed(session, {(hood, weighing.week)})
    session.commit()
    return kept
