"""Weighing-pilot benchmark, on SQLite (WAL file) and the local PostgreSQL, in one run:

1. Ingestion: events/s through POST /v1/weighings/batch (the real app in-process via its ASGI
   test client, so no network), batches of 500 against single-event uploads as the baseline.
2. The weekly figures at city scale: 10,000 households x 52 weeks x 2 streams (1.04 M weighings),
   then the time of one household's weekly totals, one neighbourhood's weekly median, and the whole
   household summary (what GET /v1/household/summary computes) with every week's medians computed
   and with complete weeks' medians stored, p50/p95 over random households.

    python benchmarks/weighings.py [--households 10000] [--weeks 52] [--events 20000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from zerowaste.service.config import Settings  # noqa: E402
from zerowaste.service.db.engine import make_engine  # noqa: E402
from zerowaste.service.db.migrate import upgrade  # noqa: E402
from zerowaste.service.db.models import ApiKey, Bin, Device, Household, Neighbourhood, Weighing  # noqa: E402
from zerowaste.service.household_summary import current_week, summarise  # noqa: E402
from zerowaste.service.keys import create_key  # noqa: E402
from zerowaste.service.main import create_app  # noqa: E402
from zerowaste.service.weekly import forget_weeks_before, household_weeks, neighbourhood_medians  # noqa: E402

PG_ADMIN = os.environ.get("ZEROWASTE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def ingestion(url: str, data: Path, total: int) -> dict[str, float]:
    settings = Settings(environment="test", database_url=url, data_dir=data, rate_limit="100000000/minute")
    out = {}
    with TestClient(create_app(settings)) as client:
        with client.app.state.sessionmaker() as session:
            staff = {"Authorization": "Bearer " + create_key(session, "bench", "staff")}
        dev = client.post("/v1/staff/devices", json={"id": "bench-scale"}, headers=staff).json()
        home = client.post("/v1/staff/households", json={"neighbourhood": "arrenberg"}, headers=staff).json()
        client.post(
            "/v1/staff/bins",
            headers=staff,
            json={"id": "bench-bin", "household": home["id"], "device": "bench-scale", "stream": "restmuell"},
        )
        headers = {"Authorization": "Bearer " + dev["token"]}
        now = dt.datetime.now(dt.UTC)

        def events(n: int) -> list[dict]:
            return [
                {
                    "id": str(uuid.uuid4()),
                    "device": "bench-scale",
                    "bin": "bench-bin",
                    "stream": "restmuell",
                    "kind": "deposit",
                    "net_kg": 1.0,
                    "gross_kg": 5.0,
                    "measured_at": (now - dt.timedelta(seconds=i)).isoformat(),
                    "calibration_version": 1,
                }
                for i in range(n)
            ]

        for batch, n in ((1, max(200, total // 50)), (100, total), (500, total)):
            evs = events(n)
            t = time.perf_counter()
            for i in range(0, n, batch):
                r = client.post(
                    "/v1/weighings/batch",
                    headers=headers,
                    json={"sent_at": now.isoformat(), "events": evs[i : i + batch]},
                )
                assert r.status_code == 200 and r.json()["accepted"] == len(evs[i : i + batch]), r.text
            out[f"batch {batch}"] = n / (time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(0, total, 500):  # everything again: all duplicates, nothing written
            client.post(
                "/v1/weighings/batch", headers=headers, json={"sent_at": now.isoformat(), "events": evs[i : i + 500]}
            )
        out["resend 500 (duplicates)"] = total / (time.perf_counter() - t)
    return out


def city(url: str, households: int, weeks: int, samples: int) -> dict[str, object]:
    settings = Settings(environment="test", database_url=url)
    upgrade(url)
    from zerowaste.service.rules import load_rules, read_rules, rules_path

    engine = make_engine(url)
    rng = random.Random(0)
    with Session(engine) as session:
        load_rules(session, read_rules(rules_path("wuppertal")))
        hoods = list(session.scalars(select(Neighbourhood)))
    current = current_week(settings)
    t = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(ApiKey),
            [
                {"name": f"h{i}", "role": "household", "key_hash": uuid.uuid4().hex * 2, "revoked": False}
                for i in range(households)
            ],
        )
        key_ids = [r[0] for r in conn.execute(select(ApiKey.id).where(ApiKey.role == "household").order_by(ApiKey.id))]
        conn.execute(insert(ApiKey), [{"name": "dev", "role": "device", "key_hash": "d" * 64, "revoked": False}])
        dev_key = conn.execute(select(ApiKey.id).where(ApiKey.name == "dev")).scalar_one()
        conn.execute(insert(Device), [{"id": "dev", "api_key_id": dev_key, "registered_by": "bench"}])
        ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(households)]
        conn.execute(
            insert(Household),
            [
                {"id": h, "neighbourhood_id": hoods[i % len(hoods)].id, "api_key_id": k}
                for i, (h, k) in enumerate(zip(ids, key_ids, strict=True))
            ],
        )
        conn.execute(
            insert(Bin),
            [
                {"id": f"{h}-{s}", "household_id": h, "device_id": "dev", "stream": s, "max_load_kg": 60.0}
                for h in ids
                for s in ("restmuell", "bio")
            ],
        )
    rows = 0
    for w in range(weeks):
        week = current - dt.timedelta(weeks=weeks - w)
        at = dt.datetime.combine(week + dt.timedelta(days=2), dt.time(12), dt.UTC)
        chunk = [
            {
                "event_id": uuid.uuid4().hex,
                "bin_id": f"{h}-{s}",
                "household_id": h,
                "device_id": "dev",
                "stream": s,
                "kind": "deposit",
                "net_kg": round(rng.uniform(1, 12), 3),
                "gross_kg": 10.0,
                "measured_at": at,
                "device_time": at,
                "week": week,
                "received_at": at,
                "firmware": "bench",
                "calibration_version": 1,
            }
            for h in ids
            for s in ("restmuell", "bio")
        ]
        with engine.begin() as conn:
            conn.execute(insert(Weighing), chunk)
        rows += len(chunk)
    load_s = time.perf_counter() - t
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # fresh statistics, as autovacuum / a long-running SQLite would have

    timings: dict[str, list[float]] = {
        "household weekly totals": [],
        "neighbourhood median, 1 week": [],
        "household summary, medians computed (52 weeks)": [],
        "household summary, complete weeks' medians stored": [],
    }
    with Session(engine) as session:
        sample = rng.sample(ids, samples)
        for h in sample:
            t = time.perf_counter()
            household_weeks(session, h)
            timings["household weekly totals"].append((time.perf_counter() - t) * 1000)
            week = current - dt.timedelta(weeks=rng.randint(1, weeks))
            t = time.perf_counter()
            medians = neighbourhood_medians(session, hoods[0].id, week, week, 5)
            timings["neighbourhood median, 1 week"].append((time.perf_counter() - t) * 1000)
            assert medians
        for h in sample[: max(5, samples // 10)]:
            household = session.get(Household, h)
            # Cold: as after a late weighing in every shown week of the quarter; then warm, as usual.
            forget_weeks_before(session, current + dt.timedelta(weeks=1))
            session.commit()
            for name in (
                "household summary, medians computed (52 weeks)",
                "household summary, complete weeks' medians stored",
            ):
                t = time.perf_counter()
                s = summarise(session, household, settings, "de")
                timings[name].append((time.perf_counter() - t) * 1000)
                assert len(s.weeks) >= weeks and s.streams[0].baseline_kg is not None
    engine.dispose()
    return {"rows": rows, "load_s": load_s, "timings": timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=10_000, help="households (default: 10000)")
    parser.add_argument("--weeks", type=int, default=52, help="weeks of data (default: 52)")
    parser.add_argument("--events", type=int, default=20_000, help="events per ingestion run (default: 20000)")
    parser.add_argument("--samples", type=int, default=50, help="households timed (default: 50)")
    args = parser.parse_args()
    print(f"machine: {machine()}\n")

    dbs: list[tuple[str, str]] = []
    tmp = Path(tempfile.mkdtemp(prefix="zw-bench-"))
    pg_names = []
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
            for part in ("ingest", "city"):
                name = f"zw_bench_{part}_{uuid.uuid4().hex[:8]}"
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                pg_names.append(name)
        pg = PG_ADMIN.rsplit("/", 1)[0]
        dbs = [(f"SQLite (WAL, {tmp})", "sqlite"), (f"PostgreSQL {version} (127.0.0.1)", "pg")]
    except Exception as exc:  # noqa: BLE001
        print(f"no PostgreSQL at {PG_ADMIN} ({type(exc).__name__}); SQLite only\n")
        dbs = [(f"SQLite (WAL, {tmp})", "sqlite")]
    results = {}
    try:
        for label, kind in dbs:
            urls = (
                [f"sqlite:///{tmp / 'ingest.db'}", f"sqlite:///{tmp / 'city.db'}"]
                if kind == "sqlite"
                else [f"{pg}/{pg_names[0]}", f"{pg}/{pg_names[1]}"]
            )
            print(f"{label}: ingestion …", file=sys.stderr)
            ing = ingestion(urls[0], tmp / kind, args.events)
            print(f"{label}: {args.households} households x {args.weeks} weeks …", file=sys.stderr)
            results[label] = (ing, city(urls[1], args.households, args.weeks, args.samples))
    finally:
        if pg_names:
            with admin.connect() as conn:
                for name in pg_names:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    print(f"Ingestion through POST /v1/weighings/batch (in-process ASGI client, {args.events} events):\n")
    print(
        "| database | batch 1 events/s | batch 100 events/s | batch 500 events/s | 500 vs 1 | resent batch of 500 "
        "(all duplicates) events/s |"
    )
    print("|---|---|---|---|---|---|")
    for label, (ing, _) in results.items():
        print(
            f"| {label.split(' (')[0]} | {ing['batch 1']:.0f} | {ing['batch 100']:.0f} | {ing['batch 500']:.0f} | "
            f"{ing['batch 500'] / ing['batch 1']:.1f}x | {ing['resend 500 (duplicates)']:.0f} |"
        )
    print(
        f"\nWeekly figures with {args.households:,} households x {args.weeks} weeks x 2 streams "
        f"({next(iter(results.values()))[1]['rows']:,} weighings), {args.samples} random households:\n"
    )
    print("| database | query | p50 ms | p95 ms |")
    print("|---|---|---|---|")
    for label, (_, c) in results.items():
        for name, values in c["timings"].items():  # type: ignore[union-attr]
            print(f"| {label.split(' (')[0]} | {name} | {statistics.median(values):.1f} | {pct(values, 95):.1f} |")
    for label, (_, c) in results.items():
        print(f"\n{label}: loading {c['rows']:,} weighings took {c['load_s']:.0f} s")


if __name__ == "__main__":
    main()
