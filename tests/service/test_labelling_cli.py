"""`zerowaste labels import|vote|report|export` on the service's database (SQLite and PostgreSQL): the same
rules as the staff API, and the same labels file as its export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.utils.images import write_bad_files
from tests.utils.labelling import drinks_copy, queue_name, staff_key
from zerowaste.cli import main
from zerowaste.datasets.labels import read_labels
from zerowaste.datasets.manifest import sha256_file
from zerowaste.service.config import Settings, get_settings
from zerowaste.service.db.models import LabelPhoto, LabelVote


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI on the same database and photo folder as the test client's app."""
    monkeypatch.setenv("ZEROWASTE_DATABASE_URL", settings.sqlalchemy_url)
    monkeypatch.setenv("ZEROWASTE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def write_votes(path: Path, votes: list[tuple[Path, str]]) -> Path:
    path.write_text("".join(json.dumps({"sha256": sha256_file(f), "label": label}) + "\n" for f, label in votes))
    return path


def test_import_vote_report_export_from_the_command_line(
    cli_env: None, client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = drinks_copy(tmp_path / "photos", 12)
    write_bad_files(tmp_path / "photos" / "bad")
    queue = queue_name("cli")

    assert main(["labels", "import", str(tmp_path / "photos"), "--queue", queue]) == 0
    out, err = capsys.readouterr()
    assert f"{queue}: 13 photos added, 0 already in the queue" in out and "4 unreadable" in out
    assert "skipped bad/truncated.jpg" in err and "skipped bad/readme.txt" in err
    assert main(["labels", "import", str(tmp_path / "photos"), "--queue", queue]) == 0
    assert "0 photos added, 13 already in the queue" in capsys.readouterr().out
    with client.app.state.sessionmaker() as session:
        stored = {p.sha256: p for p in session.scalars(select(LabelPhoto).where(LabelPhoto.queue == queue))}
    assert set(stored) >= {sha256_file(f) for f in photos}
    assert all(client.app.state.photos.exists(p.photo_key) for p in stored.values())  # the service can show them

    first = ["metal", "metal", "plastic", "white-glass", "green-glass", "other"]
    second = ["metal", "plastic", "plastic", "white-glass", "brown-glass", "other"]
    p1 = write_votes(tmp_path / "anna.jsonl", list(zip(photos, first, strict=False)))
    p2 = write_votes(tmp_path / "ben.jsonl", list(zip(photos, second, strict=False)))
    vote = ["labels", "vote", "--queue", queue, "--file"]
    assert main([*vote, str(p1), "--labeller", "anna", "--pass", "1"]) == 0
    assert "anna, pass 1: 6 saved, 0 unchanged, 0 rejected" in capsys.readouterr().out
    assert main([*vote, str(p1), "--labeller", "anna", "--pass", "1"]) == 0  # entering a sheet twice is harmless
    assert "0 saved, 6 unchanged" in capsys.readouterr().out
    # The same rules as the page: anna cannot give the second opinion on her own labels.
    assert main([*vote, str(p2), "--labeller", "anna", "--pass", "2"]) == 1
    out, err = capsys.readouterr()
    assert "0 saved, 0 unchanged, 6 rejected" in out and f"{p2}:1: pass 2 must be given by someone other" in err
    assert main([*vote, str(p2), "--labeller", "ben", "--pass", "2"]) == 0
    capsys.readouterr()

    # A sheet with a mistake is refused whole: nothing of it is saved.
    resolve = tmp_path / "cara.jsonl"
    write_votes(resolve, [(photos[1], "plastic"), (photos[4], "green glass")])
    with resolve.open("a") as f:
        f.write('{"sha256": "' + "0" * 64 + '"}\n')
    assert main([*vote, str(resolve), "--labeller", "cara", "--pass", "3"]) == 2
    err = capsys.readouterr().err
    assert f"{resolve}:2: unknown label 'green glass'" in err and f"{resolve}:3: not" in err
    (tmp_path / "x").write_bytes(b"a photo that was never imported")
    write_votes(
        resolve, [(photos[1], "plastic"), (photos[4], "glass"), (photos[0], "metal"), (tmp_path / "x", "metal")]
    )
    assert main([*vote, str(resolve), "--labeller", "cara", "--pass", "3"]) == 1
    out, err = capsys.readouterr()
    assert "cara, pass 3: 2 saved, 0 unchanged, 2 rejected" in out
    assert f"{resolve}:3: passes 1 and 2 agree" in err and f"{resolve}:4: photo" in err and "is not in queue" in err
    with client.app.state.sessionmaker() as session:
        cast = session.execute(
            select(LabelVote.labeller, LabelVote.pass_no)
            .join(LabelPhoto, LabelPhoto.id == LabelVote.photo_id)
            .where(LabelPhoto.queue == queue)
        ).all()
    assert sorted(set(cast)) == [("anna", 1), ("ben", 2), ("cara", 3)] and len(cast) == 14

    assert main(["labels", "report", "--queue", queue]) == 0
    out = capsys.readouterr().out
    assert f"queue {queue}: 13 photos" in out
    assert "agreement of passes 1 and 2 on 6 photos: 66.7 %, Cohen's kappa 0.600" in out
    assert "metal -> plastic" in out and "green-glass -> brown-glass" in out
    assert "white-glass -> white-glass" not in out  # the confusion printed is the disagreements'
    assert main(["labels", "report", "--queue", queue, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["progress"]["labelled"] == 6 and report["final_counts"] == {
        "glass": 1, "metal": 1, "other": 1, "plastic": 2, "white-glass": 1,
    }  # fmt: skip

    out_file = tmp_path / "datasets" / "labels" / f"{queue}.jsonl"
    meta = ["--meta", "licence=CC BY 4.0", "--meta", "origin=github.com/duenng/Hong-Kong-based-Drinking-Waste"]
    assert main(["labels", "export", "--queue", queue, "--out", str(out_file), "--version", "1", *meta]) == 0
    assert f"{out_file}: 6 photos, version 1" in capsys.readouterr().out
    labels = read_labels(out_file)
    assert labels.meta["licence"] == "CC BY 4.0" and labels.meta["origin"].startswith("github.com/duenng")
    assert labels.usable() == {
        sha256_file(photos[0]): "metal", sha256_file(photos[1]): "plastic", sha256_file(photos[2]): "plastic",
        sha256_file(photos[3]): "white-glass", sha256_file(photos[4]): "glass",
    }  # fmt: skip

    _, headers = staff_key(client, "exporter")
    params = {"version": "1", "meta": ["licence=CC BY 4.0", "origin=github.com/duenng/Hong-Kong-based-Drinking-Waste"]}
    http = client.get(f"/v1/staff/labelling/{queue}/export", params=params, headers=headers)
    assert http.text == out_file.read_text(encoding="utf-8")  # one export, two doors

    assert main(["labels", "export", "--queue", queue, "--version", "1", "--meta", "name=other"]) == 2
    assert "meta may not set name" in capsys.readouterr().err
    assert main(["labels", "report", "--queue", "never-imported"]) == 2
    assert "no labelling queue 'never-imported'" in capsys.readouterr().err


def test_a_queue_of_bio_bin_labels_from_the_command_line(
    cli_env: None, client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = drinks_copy(tmp_path / "photos", 2)
    queue = queue_name("cli-frames")
    imp = ["labels", "import", str(tmp_path / "photos"), "--queue", queue]
    assert main([*imp, "--label-set", "contamination"]) == 0
    assert "2 photos added" in (out := capsys.readouterr().out) and "the contamination label set" in out
    assert main([*imp, "--label-set", "classifier"]) == 2  # a queue keeps its set
    assert "is labelled with the contamination label set, not classifier" in capsys.readouterr().err

    vote = ["labels", "vote", "--queue", queue, "--labeller", "anna", "--pass", "1", "--file"]
    wrong = write_votes(tmp_path / "wrong.jsonl", [(photos[0], "clean"), (photos[1], "battery")])
    assert main([*vote, str(wrong)]) == 2
    assert f"{wrong}:2: unknown label 'battery'; allowed: clean, plastic_bag" in capsys.readouterr().err
    right = write_votes(tmp_path / "right.jsonl", [(photos[0], "clean"), (photos[1], "plastic_bag")])
    assert main([*vote, str(right)]) == 0
    assert "anna, pass 1: 2 saved" in capsys.readouterr().out
    assert main(["labels", "report", "--queue", queue, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["label_set"] == "contamination"
