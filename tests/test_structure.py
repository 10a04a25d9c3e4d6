"""The seams the code keeps (issue 23), checked on the source: only the API layer speaks HTTP, the
device's side of the wire needs neither FastAPI nor SQLAlchemy, no module grows past 400 lines, and
mypy's view of the package (.typecheck/) matches the package."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("model", "training", "datasets", "edge", "service")
HTTP = ("fastapi", "starlette")
MAX_LINES = 400


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources() -> list[Path]:
    return [p for folder in (*FOLDERS, "zerowaste") for p in sorted((ROOT / folder).rglob("*.py"))]


def test_only_the_api_layer_and_the_app_factory_import_fastapi_or_starlette() -> None:
    allowed = {ROOT / "service" / "main.py"}
    speaking = [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "service").rglob("*.py"))
        if not p.is_relative_to(ROOT / "service" / "api")
        and p not in allowed
        and any(name.split(".")[0] in HTTP for name in _imports(p))
    ]
    assert speaking == [], "domain code raises service/errors.py kinds; only service/api/ speaks HTTP"


def test_the_device_side_of_the_wire_loads_no_server_library() -> None:
    code = (
        "import sys, json\n"
        "import zerowaste.wire, zerowaste.edge.agent, zerowaste.edge.uploader, zerowaste.edge.model_update\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'fastapi', 'starlette', 'sqlalchemy', 'alembic', 'torch'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert json.loads(out.stdout) == []


def test_no_source_file_is_longer_than_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _sources()
        if "alembic" not in p.parts and (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, "split these by what they hold"


@pytest.mark.skipif(sys.platform == "win32", reason="the links are POSIX symlinks")
def test_mypy_sees_every_module_of_the_package() -> None:
    """.typecheck/zerowaste mirrors the installed package: a link per top-level module and per folder."""
    mirror = ROOT / ".typecheck" / "zerowaste"
    for folder in FOLDERS:
        assert (mirror / folder).resolve() == (ROOT / folder).resolve(), folder
    for module in sorted((ROOT / "zerowaste").glob("*.py")):
        link = mirror / module.name
        assert link.is_symlink() and link.resolve() == module.resolve(), f"ln -s ../../zerowaste/{module.name} {link}"
