"""Migration 0015 gives every labelling queue of a database its label set (SQLite and PostgreSQL): the
classifier's for every queue so far, the contamination set for a queue of disputed frames nobody voted on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from tests.utils.databases import database
from zerowaste.service.db.engine import make_engine
from zerowaste.service.db.migrate import alembic_config, upgrade
from zerowaste.service.db.models import (
    Household,
    LabelPhoto,
    LabelQueue,
    LabelVote,
    Municipality,
    Neighbourhood,
    QualityDispute,
)
from zerowaste.service.keys import new_key
from zerowaste.service.labelling.common import utc

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from database(request.param, tmp_path)


def photo(queue: str, n: int) -> LabelPhoto:
    return LabelPhoto(
        queue=queue,
        sha256=f"{n:064x}",
        photo_key=f"key-{n}",
        file_name=f"{n}.jpg",
        priority=1.0,
        signals={},
        model_sha256="0" * 64,
        created_at=T0 + dt.timedelta(hours=n),
    )


def test_queues_get_their_label_set_and_the_migration_undoes(fresh_url: str) -> None:
    upgrade(fresh_url, "0014")
    engine = make_engine(fresh_url)
    try:
        with Session(engine) as session:
            session.add(Municipality(key="wuppertal", name="Wuppertal", class_map={}))
            session.flush()
            hood = Neighbourhood(municipality="wuppertal", key="arrenberg", name="Arrenberg", district="Elberfeld",
                                 quarters=[], lat=51.25, lon=7.13)  # fmt: skip
            key, _ = new_key(session, "household-1", "household")
            session.add(hood)
            session.flush()
            session.add(Household(id="h1", neighbourhood_id=hood.id, api_key_id=key.id))
            drinks = [photo("drinks", 3), photo("drinks", 1)]
            fresh, voted = photo("biobin-disputes", 2), photo("old-disputes", 4)
            # an imported photo and a disputed frame in one queue, nobody voted yet
            mixed = [photo("mixed", 5), photo("mixed", 6)]
            session.add_all([*drinks, fresh, voted, *mixed])
            session.flush()
            for i, p in enumerate((fresh, voted, mixed[1])):
                session.add(QualityDispute(device_id="d", event_id=f"e{i}", household_id="h1", reason="",
                                           created_at=T0, status="open", label_photo_id=p.id))  # fmt: skip
            # Votes given before there were label sets: in the classifier's, the only one there was.
            session.add_all(
                LabelVote(photo_id=p.id, pass_no=1, label="biological", labeller="anna", at=T0)
                for p in (drinks[0], voted)
            )
            session.commit()
        engine.dispose()

        upgrade(fresh_url)
        with Session(engine) as session:
            got = {q.name: (q.label_set, utc(q.created_at)) for q in session.scalars(select(LabelQueue))}
        assert got == {
            "drinks": ("classifier", T0 + dt.timedelta(hours=1)),  # its first photo's time
            "biobin-disputes": ("contamination", T0 + dt.timedelta(hours=2)),
            "old-disputes": ("classifier", T0 + dt.timedelta(hours=4)),  # its votes keep their meaning
            "mixed": ("classifier", T0 + dt.timedelta(hours=5)),  # its imported photo is no bio-bin frame
        }

        command.downgrade(alembic_config(fresh_url), "0014")
        engine.dispose()
        assert "label_queue" not in inspect(engine).get_table_names()
        upgrade(fresh_url)
        engine.dispose()
        assert "label_queue" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
