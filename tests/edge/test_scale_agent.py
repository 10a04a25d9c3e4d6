"""The scale agent's parts on real inputs: generated weight traces with noise, drift, lid bumps,
leaning and bags; a serial scale on a pyserial loop; calibration through the CLI; the SQLite queue
surviving a killed process; an agent restarted while a bag went in."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import serial
import yaml

from zerowaste.cli import main as cli
from zerowaste.edge.agent import AgentConfig, ScaleAgent, load_config
from zerowaste.edge.calibration import Calibration, CalibrationError, two_point
from zerowaste.edge.queue import EventQueue
from zerowaste.edge.scales import SerialConfig, SerialScale, SimulatedScale, parse_weight_line
from zerowaste.edge.settle import DetectorConfig, StableWeightDetector
from zerowaste.edge.trace import TraceSpec, generate_trace, write_trace


@pytest.mark.parametrize("seed", range(6))
def test_detector_counts_every_bag_and_nothing_else(seed: int) -> None:
    spec = TraceSpec(
        seed=seed,
        days=21,
        deposits_per_day=2,
        lid_bumps_per_day=4,
        leans_per_day=2,
        drift_kg_per_day=0.03,
        noise_kg=0.006,
    )
    trace = generate_trace(spec)
    det = StableWeightDetector(DetectorConfig())
    changes = [c for t, kg in trace.samples if (c := det.feed(t, kg))]
    deposits = [c for c in changes if c.kind == "deposit"]
    assert [c.kind for c in changes if c.kind != "deposit"] == ["emptying"] * len(trace.emptyings)
    assert len(deposits) == len(trace.deposits)
    for got, (_, truth) in zip(deposits, trace.deposits, strict=True):
        assert got.net_kg == pytest.approx(truth, abs=0.03)


def test_a_drifting_zero_never_becomes_a_bag() -> None:
    trace = generate_trace(
        TraceSpec(
            days=30,
            deposits_per_day=0,
            lid_bumps_per_day=5,
            leans_per_day=1,
            drift_kg_per_day=0.2,
            empty_every_days=100,
        )
    )
    det = StableWeightDetector(DetectorConfig())
    assert [c for t, kg in trace.samples if (c := det.feed(t, kg))] == []


def test_serial_scale_over_a_pyserial_loop() -> None:
    port = serial.serial_for_url("loop://", timeout=0.5)
    port.write(b"ZEROWASTE SCALE v2\r\nST,GS,+  12.345kg\r\nUS,GS,+   1250 g\r\n")
    scale = SerialScale(SerialConfig(type="serial", port="loop://"), port=port)
    assert scale.read().raw == pytest.approx(12.345)
    assert scale.read().raw == pytest.approx(1.25)
    with pytest.raises(Exception, match="sent nothing"):
        scale.read()
    assert parse_weight_line("W: -0,250 KG") == pytest.approx(-0.25)
    assert parse_weight_line("OVERLOAD") is None


def test_two_point_calibration_recovers_the_load_cell_line() -> None:
    cal = two_point([(8400.0, 0.0), (8400.0 - 21_000 * 5, 5.0), (8400.0 - 21_000 * 20, 20.0)])
    assert cal.kg(8400.0 - 21_000 * 12.5) == pytest.approx(12.5)
    assert cal.version == 1
    with pytest.raises(CalibrationError, match="two different masses"):
        two_point([(1.0, 5.0), (2.0, 5.0)])
    with pytest.raises(CalibrationError, match="same value"):
        two_point([(7.0, 0.0), (7.0, 5.0)])
    assert Calibration(zero=10, factor=0.5).tared(30).kg(40) == pytest.approx(5.0)


def _config(tmp_path: Path, trace: Path, **driver: object) -> Path:
    path = tmp_path / "scale.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "device_id": "scale-test",
                "server_url": "http://127.0.0.1:9",
                "queue_path": str(tmp_path / "queue.db"),
                "bins": [
                    {
                        "id": "bin-1",
                        "stream": "restmuell",
                        "driver": {"type": "simulated", "trace": str(trace), "start": 1_790_000_000, **driver},
                    }
                ],
            }
        )
    )
    return path


def test_calibrate_and_tare_through_the_cli(tmp_path: Path) -> None:
    # The platform reads 0 kg for 5 s, then 10 kg (a known mass) for 5 s: one reading per step.
    samples = [(i / 10, 0.0) for i in range(50)] + [(5 + i / 10, 10.0) for i in range(50)]
    write_trace(tmp_path / "cal.csv", samples)
    config = _config(tmp_path, tmp_path / "cal.csv")
    assert (
        cli(
            [
                "edge",
                "scale",
                "calibrate",
                "--config",
                str(config),
                "--bin",
                "bin-1",
                "--yes",
                "--samples",
                "50",
                "--mass",
                "0",
                "--mass",
                "10",
            ]
        )
        == 0
    )
    cal = load_config(config).bins[0].calibration
    assert cal.version == 1 and cal.factor == pytest.approx(-1 / 21_000) and cal.kg(8400.0) == pytest.approx(0)
    assert cli(["edge", "scale", "tare", "--config", str(config), "--bin", "bin-1", "--yes", "--samples", "10"]) == 0
    assert load_config(config).bins[0].calibration.version == 2
    with pytest.raises(ValueError, match="extra"):
        AgentConfig.model_validate({**yaml.safe_load(config.read_text()), "sampel_hz": 5})


def test_queued_events_survive_a_killed_process(tmp_path: Path) -> None:
    child = textwrap.dedent(f"""
        import sys, uuid
        from pathlib import Path
        from zerowaste.edge.queue import EventQueue
        q = EventQueue(Path({str(tmp_path / "q.db")!r}))
        for i in range(200):
            eid = str(uuid.uuid4())
            q.put({{"id": eid, "n": i}}, {{"bin:b": {{"reference": i}}}})
            print(eid, flush=True)  # only after put() returned
            if i == 120:
                import os, signal
                os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL
    promised = proc.stdout.split()
    q = EventQueue(tmp_path / "q.db")
    stored = [e["id"] for e in q.peek(1000)]
    assert stored == promised and len(stored) == 121
    assert q.state("bin:b") == {"reference": 120}
    assert q.ack(stored[:100]) == 100 and len(q) == 21


def test_an_agent_restarted_while_a_bag_went_in_counts_it_once(tmp_path: Path) -> None:
    spec = TraceSpec(seed=3, days=7, deposits_per_day=3, lid_bumps_per_day=2, leans_per_day=1)
    trace = generate_trace(spec)
    write_trace(tmp_path / "t.csv", trace.samples)
    config = load_config(_config(tmp_path, tmp_path / "t.csv", raw_zero=8400.0, raw_per_kg=-21_000.0))
    config.bins[0].calibration = Calibration(zero=8400.0, factor=-1 / 21_000)
    scale = SimulatedScale(config.bins[0].driver)  # type: ignore[arg-type]

    # The agent runs until two bags are queued, is killed (only its queue file survives), is down
    # while the third bag goes in, and starts again from its queue.
    queue = EventQueue(config.queue_path)
    agent = ScaleAgent(config, queue, {"bin-1": scale})
    while len([e for e in queue.peek(1000) if e["kind"] == "deposit"]) < 2:
        agent.step("bin-1")
    queue.close()
    third_bag_t = trace.deposits[2][0]
    while scale.read().t - 1_790_000_000 < third_bag_t + 60:
        pass  # the bag lands while no agent is running
    queue = EventQueue(config.queue_path)
    agent = ScaleAgent(config, queue, {"bin-1": scale})
    with pytest.raises(EOFError):
        while True:
            agent.step("bin-1")
    events = queue.peek(1000)
    deposits = [e for e in events if e["kind"] == "deposit"]
    assert len(deposits) == len(trace.deposits)
    assert sum(e["net_kg"] for e in deposits) == pytest.approx(sum(kg for _, kg in trace.deposits), abs=0.05)
    assert len({e["id"] for e in events}) == len(events)
    assert all(e["calibration_version"] == 0 and e["device"] == "scale-test" for e in events)


def test_an_uncalibrated_bin_uploads_nothing(tmp_path: Path) -> None:
    """Raw load-cell counts are no kilograms: an agent whose bin was never tared or calibrated queued
    "8269 kg" deposits. Now it queues nothing for that bin (and says so), and the same readings with
    the bin calibrated give the bags."""
    trace = generate_trace(TraceSpec(seed=5, days=2, deposits_per_day=3))
    write_trace(tmp_path / "t.csv", trace.samples)
    for calibration, expected in ((Calibration(), 0), (Calibration(zero=8400.0, factor=1 / 21_000), 1)):
        config = load_config(_config(tmp_path, tmp_path / "t.csv", raw_zero=8400.0, raw_per_kg=21_000.0))
        config.bins[0].calibration = calibration
        queue = EventQueue(tmp_path / f"q-{expected}.db")
        agent = ScaleAgent(config, queue, {"bin-1": SimulatedScale(config.bins[0].driver)})  # type: ignore[arg-type]
        with pytest.raises(EOFError):
            while True:
                agent.step("bin-1")
        events = queue.peek(10_000)
        deposits = [e for e in events if e["kind"] == "deposit"]
        assert len(deposits) == expected * len(trace.deposits) and (expected or not events), events[:3]


def test_a_replay_without_start_ends_now_and_every_bin_plays_to_its_end(tmp_path: Path) -> None:
    """Without a start date a replay was stamped from now, so most of it lay in the future and the
    service rejected it; and a fast replay of several bins stopped when the shortest trace ended."""
    import threading
    import time

    specs = {"bin-short": TraceSpec(seed=1, days=1, deposits_per_day=4), "bin-long": TraceSpec(seed=2, days=3)}
    config = AgentConfig.model_validate(
        {
            "device_id": "scale-test",
            "server_url": "http://127.0.0.1:9",
            "queue_path": str(tmp_path / "queue.db"),
            "bins": [
                {
                    "id": bin_id,
                    "stream": "restmuell",
                    "calibration": {"zero": 8400.0, "factor": -1 / 21_000},
                    "driver": {"type": "simulated", "generate": spec.model_dump()},
                }
                for bin_id, spec in specs.items()
            ],
        }
    )
    queue = EventQueue(config.queue_path)
    ScaleAgent(config, queue).run(threading.Event())
    events = queue.peek(100_000)
    for bin_id, spec in specs.items():
        deposits = [e for e in events if e["bin"] == bin_id and e["kind"] == "deposit"]
        assert len(deposits) == len(generate_trace(spec).deposits), bin_id
    stamps = [dt.datetime.fromisoformat(e["measured_at"]).timestamp() for e in events]
    assert max(stamps) <= time.time() and min(stamps) > time.time() - 3 * 86_400 - 3600


def test_status_and_trace_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["edge", "scale", "trace", "--out", str(tmp_path / "w.csv"), "--days", "2", "--seed", "1"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["samples"] > 100 and (tmp_path / "w.csv").exists()
    assert cli(["edge", "scale", "status", "--config", str(_config(tmp_path, tmp_path / "w.csv"))]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["queued"] == 0 and status["bins"]["bin-1"]["driver"] == "simulated"


def test_the_systemd_unit_runs_the_agent() -> None:
    unit = (Path(__file__).resolve().parents[2] / "edge" / "systemd" / "zerowaste-scale.service").read_text()
    assert "ExecStart=" in unit and "edge scale run --config /etc/zerowaste/scale.yaml" in unit
    assert "Restart=always" in unit
