"""The code's shape, checked: no module reaches into another's private names, and nothing in app/ imports the web
layer from the core."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import APP, ROOT


def _private_imports(path: Path) -> list[str]:
    """`module.name` for every `_name` imported from another module (a relative or jwtlens import)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            ours = node.level > 0 or (node.module or "").split(".")[0] in ("app", "jwtlens")
            found += [
                f"{'.' * node.level}{node.module or ''}.{alias.name}"
                for alias in node.names
                if ours and alias.name.startswith("_") and not alias.name.startswith("__")
            ]
    return found


def test_the_scan_sees_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from __future__ import annotations\nfrom .transport import _tls, fetch\nfrom ..core import (\n    _pick,\n)\n"
        "from jwtlens.web import _x\nfrom os import _exit\nfrom . import __version__\n"
    )
    assert _private_imports(sample) == [".transport._tls", "..core._pick", "jwtlens.web._x"]


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = {str(p.relative_to(ROOT)): names for p in APP.rglob("*.py") if (names := _private_imports(p))}
    assert offenders == {}


_WEB = {"fastapi", "starlette", "uvicorn", "jinja2", "httpx"}


def _core_offences(path: Path, depth: int) -> list[str]:
    """Imports of a web framework, or relative imports climbing out of app/core (``depth`` levels below app/)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in _WEB]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and (node.module or "").split(".")[0] in _WEB:
                found.append(node.module or "")
            elif node.level > depth:
                found.append(f"{'.' * node.level}{node.module or ''}")
    return found


def test_the_core_scan_sees_a_climb_and_a_framework(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import fastapi\nfrom starlette.requests import Request\nfrom ..present import x\nfrom .keys import y\n"
    )
    assert _core_offences(sample, depth=1) == ["fastapi", "starlette.requests", "..present"]


def test_the_core_imports_no_web_framework_and_nothing_outside_it() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in (APP / "core").rglob("*.py")
        if (found := _core_offences(path, depth=len(path.relative_to(APP).parts) - 1))
    }
    assert offenders == {}
