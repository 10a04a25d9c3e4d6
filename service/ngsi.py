"""Bin telemetry as FIWARE NGSI-LD WasteContainer entities (smart-data-models dataModel.WasteManagement)
for the city's urban data platform. A bin's location is its neighbourhood's centre, never a household's.

Bio-bin quality (issue 25) has no attribute in the WasteContainer model; it is carried by two extension
properties, terms outside the smart-data-models context (a broker expands them with the NGSI-LD default
context, https://uri.etsi.org/ngsi-ld/default-context/<term>):

- `wasteQuality`: the bin's latest camera result (observedAt: when the frame was taken), value
  {contaminated, contaminants (most confident first), scores, camera, modelSha256}; `contaminated`
  is what counts (staff's verdict after a dispute, else the device's);
- `contaminationRate`: the share of the bin's assessed deposits and emptyings with a contaminant over
  the last QUALITY_WINDOW_DAYS days (unitCode C62, a plain number 0..1), with `assessedEvents` as a
  property of the property.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zerowaste.service.db.models import Bin, Household, Neighbourhood, Stream, Weighing
from zerowaste.service.quality import ASSESSED, found_kinds
from zerowaste.service.weighings import utc
from zerowaste.wire import BinQuality

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
]


QUALITY_WINDOW_DAYS = 28


def _prop(value: Any, observed_at: dt.datetime | None = None, unit: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"type": "Property", "value": value}
    if observed_at is not None:
        p["observedAt"] = _iso(observed_at)
    if unit:
        p["unitCode"] = unit
    return p


def _iso(t: dt.datetime) -> str:
    return utc(t).isoformat().replace("+00:00", "Z")


def waste_containers(session: Session, municipality: str) -> list[dict[str, Any]]:
    kinds = {s.key: s.waste_kind for s in session.scalars(select(Stream).where(Stream.municipality == municipality))}
    last_seen = select(Weighing.bin_id, func.max(Weighing.measured_at).label("t")).group_by(Weighing.bin_id).subquery()
    latest = {
        b: (t, gross)
        for b, t, gross in session.execute(
            select(Weighing.bin_id, Weighing.measured_at, Weighing.gross_kg).join(
                last_seen, (last_seen.c.bin_id == Weighing.bin_id) & (last_seen.c.t == Weighing.measured_at)
            )
        )
    }
    emptied: dict[Any, Any] = dict(
        session.execute(
            select(Weighing.bin_id, func.max(Weighing.measured_at))
            .where(Weighing.kind == "emptying")
            .group_by(Weighing.bin_id)
        ).all()
    )
    quality = _quality(session)
    rows = session.execute(
        select(Bin, Neighbourhood)
        .join(Household, Household.id == Bin.household_id)
        .join(Neighbourhood, Neighbourhood.id == Household.neighbourhood_id)
        .where(Neighbourhood.municipality == municipality)
        .order_by(Bin.id)
    )
    entities = []
    for bin_, hood in rows:
        e: dict[str, Any] = {
            "id": f"urn:ngsi-ld:WasteContainer:{municipality}:{bin_.id}",
            "type": "WasteContainer",
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [hood.lon, hood.lat]}},
            "storedWasteKind": _prop(kinds.get(bin_.stream) or ["other"]),
            "storedWasteOrigin": _prop("household"),
            "category": _prop(["portable"]),
            "status": _prop("ok"),
            "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Device:{municipality}:{bin_.device_id}"},
            "areaServed": _prop(hood.name),
            "dateServiceStarted": _prop({"@type": "DateTime", "@value": _iso(bin_.created_at)}),
            "@context": CONTEXT,
        }
        if bin_.id in latest:
            t, gross = latest[bin_.id]
            e["cargoWeight"] = _prop(round(max(gross, 0.0), 3), t, unit="KGM")
            e["TimeInstant"] = _prop({"@type": "DateTime", "@value": _iso(t)})
        if bin_.id in emptied:
            e["dateLastEmptying"] = _prop({"@type": "DateTime", "@value": _iso(emptied[bin_.id])})
        e.update(quality.get(bin_.id, {}))
        entities.append(e)
    return entities


def _quality(session: Session) -> dict[str, dict[str, Any]]:
    """Bin id -> its quality properties (bins without a camera result have none)."""
    assessed = (Weighing.kind.in_(ASSESSED), Weighing.contaminated.is_not(None))
    last = select(Weighing.bin_id, func.max(Weighing.measured_at).label("t")).where(*assessed).group_by(Weighing.bin_id)
    latest = last.subquery()
    out: dict[str, dict[str, Any]] = {}
    for bin_id, quality, contaminated in session.execute(
        select(Weighing.bin_id, Weighing.quality, Weighing.contaminated)
        .join(latest, (latest.c.bin_id == Weighing.bin_id) & (latest.c.t == Weighing.measured_at))
        .where(*assessed)
    ):
        q = BinQuality.model_validate(quality)
        value = {
            "contaminated": bool(contaminated),
            "contaminants": found_kinds(q),
            "scores": dict(q.scores),
            "camera": q.camera,
            "modelSha256": q.model_sha256,
        }
        out[bin_id] = {"wasteQuality": _prop(value, q.captured_at)}
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=QUALITY_WINDOW_DAYS)
    for bin_id, n, bad, t in session.execute(
        select(
            Weighing.bin_id,
            func.count(),
            func.sum(case((Weighing.contaminated.is_(True), 1), else_=0)),
            func.max(Weighing.measured_at),
        )
        .where(*assessed, Weighing.measured_at >= since)
        .group_by(Weighing.bin_id)
    ):
        rate = _prop(round(int(bad or 0) / int(n), 4), t, unit="C62")
        rate["assessedEvents"] = _prop(int(n))
        out.setdefault(bin_id, {})["contaminationRate"] = rate
    return out
