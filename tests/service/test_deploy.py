"""What a city's IT runs: the container file, the compose file and the systemd unit. No container runs
here, so each is checked for what can go wrong without one: a setting the service does not know (a
typo is silently ignored by pydantic-settings), a secret in the repository, a folder the image
forgets, a unit systemd would not parse; and the image's command is run as it stands, outside a
container."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import AliasChoices

from tests.conftest import photos
from tests.utils.server import free_port
from zerowaste.service.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def known_settings() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {str(a) for a in alias.choices}
        else:
            names.add(f"ZEROWASTE_{name.upper()}")
    return names


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_two_processes_on_postgresql_and_redis_with_known_settings_and_no_secret() -> None:
    spec = compose()
    services = spec["services"]
    assert {"service-1", "service-2", "postgres", "redis"} <= set(services)
    for name in ("service-1", "service-2"):
        s = services[name]
        env = s["environment"]
        assert set(env) <= known_settings(), set(env) - known_settings()
        assert env["ZEROWASTE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["ZEROWASTE_RATE_LIMIT_STORAGE"].startswith("redis://redis:")
        assert s["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert any(v.endswith(":/var/lib/zerowaste") for v in s["volumes"])
        assert s["build"]["dockerfile"] == "Containerfile" and (ROOT / s["build"]["dockerfile"]).is_file()
    # the password comes from the environment of whoever starts it, and must be given
    text = (ROOT / "compose.yaml").read_text()
    assert "${ZEROWASTE_DB_PASSWORD:?" in text
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert not re.search(r"://\w+:(?!\$\{)[^@\s]+@", text)  # no literal password in a URL


def test_the_systemd_example_settings_are_known() -> None:
    lines = (ROOT / "service" / "systemd" / "service.env.example").read_text().splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert names and names <= known_settings(), names - known_settings()


def containerfile() -> str:
    return (ROOT / "Containerfile").read_text()


def test_the_image_copies_every_folder_the_package_is_built_from() -> None:
    copied = set(re.findall(r"^COPY (\S+) \1$", containerfile(), re.M))
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    package_dirs = set(setuptools["package-dir"].values())
    assert package_dirs <= copied, package_dirs - copied
    assert all((ROOT / c).exists() for c in copied)
    assert "USER zerowaste" in containerfile()  # not root


def test_the_image_command_serves_outside_a_container(tmp_path: Path) -> None:
    cmd = json.loads(re.findall(r"^CMD (\[.*\])$", containerfile(), re.M)[-1])
    assert cmd[:2] == ["zerowaste", "serve"]
    port = free_port()
    # the same command; only the bind address and port fit a shared test machine
    args = [a if a not in ("0.0.0.0", "8000") else {"0.0.0.0": "127.0.0.1", "8000": str(port)}[a] for a in cmd[2:]]
    exe = shutil.which("zerowaste", path=str(Path(sys.executable).parent)) or "zerowaste"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROWASTE_")}
    env |= {"ZEROWASTE_DATA_DIR": str(tmp_path), "ZEROWASTE_MODEL_THREADS": "1"}
    log = tmp_path / "serve.log"
    proc = subprocess.Popen([exe, "serve", *args], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        photo = photos("garbage12", "shoes", n=1)[0]
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/classify", files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")}
        )
        assert r.status_code == 200 and r.json()["model"]["precision"] == "int8"
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_the_systemd_unit_parses(tmp_path: Path) -> None:
    unit = (ROOT / "service" / "systemd" / "zerowaste@.service").read_text()
    assert "ExecStart=/opt/zerowaste/.venv/bin/zerowaste serve --host 127.0.0.1 --port %i" in unit
    # verify wants the program to exist and the environment file to be readable: point them here
    exe = shutil.which("zerowaste", path=str(Path(sys.executable).parent))
    assert exe is not None
    local = unit.replace("/opt/zerowaste/.venv/bin/zerowaste", exe).replace(
        "EnvironmentFile=/etc/zerowaste/service.env", f"EnvironmentFile=-{tmp_path / 'service.env'}"
    )
    (tmp_path / "zerowaste@.service").write_text(local)
    (tmp_path / "zerowaste@8001.service").symlink_to(tmp_path / "zerowaste@.service")
    r = subprocess.run(
        ["systemd-analyze", "verify", str(tmp_path / "zerowaste@8001.service")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # a misspelt key or a bad value is only a warning with exit status 0: no output at all is the check
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
