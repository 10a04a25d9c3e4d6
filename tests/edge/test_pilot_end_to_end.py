"""The weighing pilot end to end: 200 households, 8 weeks, real scale agents (simulated load cells,
the real detector, SQLite queues, uploader) talking real HTTP to a real `uvicorn` service process on
SQLite and on PostgreSQL — through network outages, lost answers, server crashes (SIGKILL) and
agent restarts. Every event must arrive exactly once and the totals must match the simulation."""

from __future__ import annotations

import datetime as dt
import random
import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from tests.utils.databases import database
from tests.utils.network import Wire
from tests.utils.pilot import bearer
from tests.utils.server import Server
from zerowaste.edge.agent import AgentConfig, ScaleAgent
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.trace import TraceSpec, generate_trace
from zerowaste.edge.uploader import Backoff, Uploader
from zerowaste.service.db.migrate import upgrade
from zerowaste.service.db.models import RejectedEvent, Weighing
from zerowaste.service.keys import create_key

HOUSEHOLDS, WEEKS, DAY = 200, 8, 86_400
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Server, str]]:
    for url in database(request.param, tmp_path):
        upgrade(url)
        engine = create_engine(url)
        with Session(engine) as session:
            staff = create_key(session, "pilot-staff", "staff")
        engine.dispose()
        srv = Server(url, tmp_path)
        srv.start()
        try:
            yield srv, staff
        finally:
            srv.stop(signal.SIGKILL)


def test_two_hundred_households_eight_weeks_exactly_once(server: tuple[Server, str], tmp_path: Path) -> None:
    srv, staff_token = server
    rng = random.Random(8)
    staff = httpx.Client(base_url=srv.base, headers=bearer(staff_token), timeout=30)
    start = time.time() - WEEKS * 7 * DAY
    network = Wire(rng=rng, lose_answers=0.05)

    # AWG staff enrol the pilot: a device and one or two bins per household, in both quarters.
    agents: list[ScaleAgent] = []
    uploaders: list[Uploader] = []
    truth: dict[str, float] = {}  # household -> deposited kg, as the simulation put it in the bins
    households: dict[str, str] = {}  # device -> household
    for i in range(HOUSEHOLDS):
        hood = "arrenberg" if i % 2 else "wichlinghausen"
        device = staff.post("/v1/staff/devices", json={"id": f"scale-{i:03d}"}).json()
        home = staff.post("/v1/staff/households", json={"neighbourhood": hood}).json()
        bins = []
        for stream in ("restmuell", "bio")[: 1 + (i % 3 == 0)]:
            bin_id = f"bin-{i:03d}-{stream}"
            assert (
                staff.post(
                    "/v1/staff/bins",
                    json={
                        "id": bin_id,
                        "household": home["id"],
                        "device": device["id"],
                        "stream": stream,
                        "in_service_from": dt.datetime.fromtimestamp(start - DAY, dt.UTC).isoformat(),
                    },
                ).status_code
                == 201
            )
            spec = TraceSpec(
                seed=i * 10 + len(bins),
                days=WEEKS * 7,
                deposits_per_day=rng.uniform(0.4, 1.2),
                lid_bumps_per_day=0.5,
                leans_per_day=0.2,
                idle_every_s=3600,
            )
            trace = generate_trace(spec)
            truth[home["id"]] = truth.get(home["id"], 0.0) + sum(kg for _, kg in trace.deposits)
            bins.append(
                {
                    "id": bin_id,
                    "stream": stream,
                    "calibration": {"zero": 8400.0, "factor": -1 / 21000},
                    "driver": {"type": "simulated", "start": start, "generate": spec.model_dump()},
                }
            )
        households[device["id"]] = home["id"]
        config = AgentConfig.model_validate(
            {
                "device_id": device["id"],
                "server_url": srv.base,
                "queue_path": str(tmp_path / "agents" / f"{i}.db"),
                "bins": bins,
            }
        )
        queue = EventQueue(config.queue_path)
        agents.append(ScaleAgent(config, queue))
        client = httpx.Client(base_url=srv.base, headers=bearer(device["token"]), transport=network, timeout=10)
        uploaders.append(
            Uploader(queue, client, donors=config.donating_bins, batch_size=25, backoff=Backoff(base_s=0, cap_s=0))
        )

    created: dict[str, dict] = {}

    def collect() -> None:  # every event sits in its queue at least until the next upload round
        for a in agents:
            created.update({e["id"]: e for e in a.queue.peek(100_000)})

    def upload_round() -> None:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda u: u.drain(), uploaders))

    for week in range(WEEKS):
        for day in range(7):
            until = start + (week * 7 + day + 1) * DAY
            for i, agent in enumerate(agents):
                if week == 5 and day == 3 and agent.config.device_id.endswith(("1", "4", "7")):
                    # agent restart: the process dies, only its queue file and the scale survive
                    agent.queue.close()
                    agent = agents[i] = ScaleAgent(agent.config, EventQueue(agent.config.queue_path), agent.scales)
                    uploaders[i].queue = agent.queue
                agent.replay_until(until)
        collect()
        if week == 2:  # the quarter's uplink is down for the whole upload round
            network.down = True
            upload_round()
            network.down = False
        elif week == 4:  # the server crashes in the middle of a round, and comes back
            with ThreadPoolExecutor(1) as pool:
                running = pool.submit(upload_round)
                time.sleep(1.0)
                srv.stop(signal.SIGKILL)
                running.result()
            srv.start()
        elif week == 6:  # a graceful restart between rounds (a deployment)
            upload_round()
            srv.stop(signal.SIGTERM)
            srv.start()
        else:
            upload_round()

    network.lose_answers = 0.0
    for _ in range(5):
        upload_round()
        if all(len(u.queue) == 0 for u in uploaders):
            break
    assert [len(u.queue) for u in uploaders] == [0] * HOUSEHOLDS
    assert network.lost > 0

    engine = create_engine(srv.env["ZEROWASTE_DATABASE_URL"])
    with Session(engine) as session:
        stored = list(session.scalars(select(Weighing.event_id)))
        rejected = session.scalar(select(func.count()).select_from(RejectedEvent))
        deposits_db = dict(
            session.execute(
                select(Weighing.household_id, func.sum(Weighing.net_kg))
                .where(Weighing.kind == "deposit")
                .group_by(Weighing.household_id)
            ).all()
        )
        token = create_key(session, "check", "staff")
    engine.dispose()
    assert rejected == 0
    assert set(stored) == set(created) and len(stored) == len(created)  # exactly once

    sent: dict[str, float] = defaultdict(float)
    for e in created.values():
        if e["kind"] == "deposit":
            sent[households[e["device"]]] += e["net_kg"]
    for household, kg in truth.items():
        assert deposits_db[household] == pytest.approx(sent[household], abs=1e-6)
        assert deposits_db[household] == pytest.approx(kg, rel=0.01, abs=0.1)
    assert sum(deposits_db.values()) == pytest.approx(sum(truth.values()), rel=0.002)

    # A household sees the same weeks the simulation produced.
    berlin = ZoneInfo("Europe/Berlin")
    some = next(iter(truth))
    weekly: dict[str, float] = defaultdict(float)
    for e in created.values():
        if households[e["device"]] == some and e["kind"] in ("deposit", "removal"):
            local = dt.datetime.fromisoformat(e["measured_at"]).astimezone(berlin).date()
            weekly[(local - dt.timedelta(days=local.weekday())).isoformat()] += e["net_kg"]
    r = httpx.get(f"{srv.base}/v1/staff/exports/weighings.csv?table=weekly", headers=bearer(token), timeout=30)
    rows = [line.split(",") for line in r.text.splitlines()[1:]]
    exported: dict[str, float] = defaultdict(float)
    for week_s, household, _hood, _stream, kg, _n in rows:
        if household == some:
            exported[week_s] += float(kg)
    assert exported == pytest.approx(dict(weekly), abs=0.01)
