"""Bin telemetry as FIWARE NGSI-LD WasteContainer entities (smart-data-models dataModel.WasteManagement)
for the city's urban data platform. A bin's location is its neighbourhood's centre, never a household's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zerowaste.service.db.models import Bin, Household, Neighbourhood, Stream, Weighing
from zerowaste.service.weighings import utc

CONTEXT = [
    "https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
]


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
        entities.append(e)
    return entities
