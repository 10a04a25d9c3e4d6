"""Bio-bin quality end to end (issue 25's target): 50 households × 8 simulated weeks. Each household's
device runs the real agent with a simulated scale and a simulated camera whose frames are clean or
contaminated in the household's known proportion (Garbage-12 `biological` views, some with a TrashNet
plastic, glass or metal object pasted in), the shipped contamination model on the device, its SQLite
queue and the real uploader over real HTTP to a real service process, through an outage and lost
answers. Every event's quality must arrive exactly once, as the device made it, and each household's
weekly contamination rate in the service must equal the simulation's within the model's error as
measured on the same frames."""

from __future__ import annotations

import datetime as dt
import logging
import math
import random
import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tests.utils.bin_frames import Frame, frame_folder
from tests.utils.network import Wire
from tests.utils.pilot import bearer
from tests.utils.server import Server
from zerowaste.edge.agent import AgentConfig, ScaleAgent
from zerowaste.edge.camera import BinCamera, SimulatedCamera
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.trace import TraceSpec, generate_trace
from zerowaste.edge.uploader import Backoff, Uploader
from zerowaste.model.contamination import ContaminationModel
from zerowaste.model.image_io import load_image
from zerowaste.service.db.migrate import upgrade
from zerowaste.service.db.models import Weighing
from zerowaste.service.keys import create_key
from zerowaste.service.quality import household_quality
from zerowaste.wire import BinQuality

HOUSEHOLDS, WEEKS, DAY = 50, 8, 86_400
TRUCK = 5  # the last households' bins are seen by the truck when emptied, the others by a lid camera
PROPENSITY = (0.0, 0.1, 0.25, 0.5)  # share of a household's deposits with a contaminant, by household
DONORS = 5  # every fifth household consented to donating its frames
QUANTILE = 1e-4  # a household-week may differ from the truth by more than the model's error this rarely
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
log = logging.getLogger(__name__)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, str]]:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        staff = create_key(session, "pilot-staff", "staff")
    engine.dispose()
    (tmp_path / "service").mkdir()
    srv = Server(url, tmp_path / "service")
    srv.start()
    yield srv, staff
    srv.stop(signal.SIGKILL)


def error_bound(n: int, bad: int, miss: float, false_alarm: float, q: float = QUANTILE) -> float:
    """The |observed - true| rate a week of `n` frames (`bad` contaminated) exceeds with probability
    at most q, when the model misses a contaminated frame with `miss` and flags a clean one with
    `false_alarm` (false alarms minus misses: the difference of two binomials, exactly)."""

    def pmf(k: int, p: float) -> np.ndarray:
        return np.array([math.comb(k, i) * p**i * (1 - p) ** (k - i) for i in range(k + 1)])

    fa, fn = pmf(n - bad, false_alarm), pmf(bad, miss)
    dist: dict[int, float] = defaultdict(float)
    for i, pa in enumerate(fa):
        for j, pb in enumerate(fn):
            dist[abs(i - j)] += pa * pb
    tail = 0.0
    for diff in sorted(dist, reverse=True):
        tail += dist[diff]
        if tail > q:
            return diff / n
    return 0.0


def test_fifty_households_eight_weeks_of_bin_quality(
    server: tuple[Server, str],
    tmp_path: Path,
    contamination_model: ContaminationModel,
    bin_frames: list[Frame],
) -> None:
    srv, staff_token = server
    rng = random.Random(25)
    staff = httpx.Client(base_url=srv.base, headers=bearer(staff_token), timeout=30)
    start = time.time() - WEEKS * 7 * DAY
    wire = Wire(rng=random.Random(5), lose_answers=0.05)

    # The model's verdict on every frame of the pool, as the camera reads it: its measured error here.
    verdict = {f.path: contamination_model.assess([np.asarray(load_image(f.path))])[0].contaminated for f in bin_frames}
    clean = [f for f in bin_frames if not f.contaminated]
    dirty = [f for f in bin_frames if f.contaminated]
    miss = sum(not verdict[f.path] for f in dirty) / len(dirty)
    false_alarm = sum(verdict[f.path] for f in clean) / len(clean)
    log.warning("the model on the %d frames: misses %.3f, false alarms %.3f", len(bin_frames), miss, false_alarm)

    agents: list[ScaleAgent] = []
    uploaders: list[Uploader] = []
    shown: dict[str, list[Frame]] = {}  # household -> the frames its camera shows, in order
    households: dict[str, str] = {}  # device -> household
    assessed_truth: dict[str, int] = {}  # household -> its trace's deposits (lid) or collection rounds (truck)
    for i in range(HOUSEHOLDS):
        device = staff.post("/v1/staff/devices", json={"id": f"scale-{i:03d}"}).json()
        home = staff.post(
            "/v1/staff/households", json={"neighbourhood": "arrenberg" if i % 2 else "wichlinghausen"}
        ).json()
        bin_id = f"bio-{i:03d}"
        r = staff.post(
            "/v1/staff/bins",
            json={
                "id": bin_id,
                "household": home["id"],
                "device": device["id"],
                "stream": "bio",
                "in_service_from": dt.datetime.fromtimestamp(start - DAY, dt.UTC).isoformat(),
            },
        )
        assert r.status_code == 201, r.text
        truck = i >= HOUSEHOLDS - TRUCK
        spec = TraceSpec(
            seed=1000 + i,
            days=WEEKS * 7,
            deposits_per_day=rng.uniform(0.5, 1.0),
            lid_bumps_per_day=0.5,
            leans_per_day=0.2,
            idle_every_s=3600,
        )
        trace = generate_trace(spec)
        assessed_truth[home["id"]] = len(trace.emptyings if truck else trace.deposits)
        p = 0.5 if truck else PROPENSITY[i % len(PROPENSITY)]
        frames = [rng.choice(dirty if rng.random() < p else clean) for _ in range(assessed_truth[home["id"]])]
        shown[home["id"]] = frames
        households[device["id"]] = home["id"]
        camera = {
            "kind": "simulated",
            "frames": str(frame_folder(tmp_path / "cameras" / f"{i}", frames)),
            "role": "truck" if truck else "lid",
            "donate_photos": i % DONORS == 0,
        }
        config = AgentConfig.model_validate(
            {
                "device_id": device["id"],
                "server_url": srv.base,
                "queue_path": str(tmp_path / "agents" / f"{i}" / "queue.db"),
                "bins": [
                    {
                        "id": bin_id,
                        "stream": "bio",
                        "calibration": {"zero": 8400.0, "factor": -1 / 21000},
                        "driver": {"type": "simulated", "start": start, "generate": spec.model_dump()},
                        "camera": camera,
                    }
                ],
            }
        )
        # One model for all fifty devices of this test (each device loads its own once).
        cam = config.bins[0].camera
        assert cam is not None and cam.kind == "simulated"
        cameras = {bin_id: BinCamera(bin_id, cam, SimulatedCamera(cam), contamination_model)}
        queue = EventQueue(config.queue_path)
        agents.append(ScaleAgent(config, queue, cameras=cameras))
        client = httpx.Client(base_url=srv.base, headers=bearer(device["token"]), transport=wire, timeout=30)
        uploaders.append(
            Uploader(queue, client, donors=config.donating_bins, batch_size=25, backoff=Backoff(base_s=0, cap_s=0))
        )

    created: dict[str, dict] = {}

    def upload_round() -> None:
        for a in agents:  # every event sits in its queue at least until this round
            created.update({e["id"]: e for e in a.queue.peek(100_000)})
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda u: u.drain(), uploaders))

    for week in range(WEEKS):
        until = start + (week + 1) * 7 * DAY
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(ScaleAgent.replay_until, agents, [until] * len(agents)))
        wire.down = week == 3  # the quarter's uplink is down for a whole round
        upload_round()
    wire.down, wire.lose_answers = False, 0.0
    for _ in range(5):
        upload_round()
        if all(len(u.queue) == 0 and not u.queue.photos() for u in uploaders):
            break
    assert [len(u.queue) for u in uploaders] == [0] * HOUSEHOLDS
    assert wire.lost > 0

    engine = create_engine(srv.env["ZEROWASTE_DATABASE_URL"])
    with Session(engine) as session:
        rows = list(session.scalars(select(Weighing)))
        weeks = {h: household_quality(session, h) for h in shown}
    engine.dispose()

    # Exactly once, each quality as the device made it.
    assert sorted(w.event_id for w in rows) == sorted(created)
    by_id = {w.event_id: w for w in rows}
    seen: dict[str, list[Weighing]] = defaultdict(list)
    for event_id, e in created.items():
        w = by_id[event_id]
        if "quality" not in e:
            assert w.quality is None
            continue
        assert w.quality is not None and BinQuality.model_validate(w.quality) == BinQuality.model_validate(e["quality"])
        assert w.quality["model_sha256"] == contamination_model.sha256
        seen[households[e["device"]]].append(w)
    kinds = {households[e["device"]]: e["quality"]["camera"] for e in created.values() if "quality" in e}
    for i, (household, frames) in enumerate(shown.items()):
        events = sorted(seen[household], key=lambda w: w.measured_at)
        wanted = "emptying" if kinds[household] == "truck" else "deposit"
        assert {w.kind for w in events} == {wanted}
        assert len(events) == sum(
            e["kind"] == wanted and households[e["device"]] == household for e in created.values()
        )
        # Every deposit of the simulation is seen; an emptying of a bin that held (next to) nothing
        # is no weighing, so the truck may see fewer than the collection's rounds.
        assert len(events) == assessed_truth[household] if wanted == "deposit" else len(events) <= len(frames)
        shown[household] = frames[: len(events)]
        # The photos of the donors, all of them, once; the device keeps none.
        assert all((w.photo_key is not None) == (i % DONORS == 0) for w in events)

    # Weekly rates: the service's against the simulation's (and against the model's verdicts on the
    # frames shown, which the service must reproduce exactly).
    deviations: list[float] = []
    for household, frames in shown.items():
        events = sorted(seen[household], key=lambda w: w.measured_at)
        truth: dict[dt.date, list[bool]] = defaultdict(list)
        judged: dict[dt.date, list[bool]] = defaultdict(list)
        for w, frame in zip(events, frames, strict=True):
            truth[w.week].append(frame.contaminated)
            judged[w.week].append(verdict[frame.path])
        assert set(weeks[household]) == set(truth)
        for week, q in weeks[household].items():
            n, bad = len(truth[week]), sum(truth[week])
            assert (q.assessed, q.contaminated) == (n, sum(judged[week]))
            deviation = abs(q.contaminated / n - bad / n)
            assert deviation <= error_bound(n, bad, miss, false_alarm) + 1e-9, (household, week, q, bad)
            deviations.append(deviation)
    for u in uploaders:
        assert u.queue.photos() == []
        assert not any(u.queue.path.parent.rglob("*.jpg"))
    log.warning(
        "%d household-weeks: mean |service - simulation| %.3f, max %.3f, exact in %.0f %%",
        len(deviations),
        float(np.mean(deviations)),
        max(deviations),
        100 * float(np.mean([d == 0 for d in deviations])),
    )
