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


def _route_handlers(tree: ast.Module) -> set[str]:
    """Names of the functions a router decorates (`@router.get(...)`, `@router.api_route(...)`)."""
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for deco in node.decorator_list
        if isinstance(deco, ast.Call)
        and isinstance(deco.func, ast.Attribute)
        and isinstance(deco.func.value, ast.Name)
        and deco.func.value.id == "router"
    }


def _handler_names_in_scope(tree: ast.Module, handlers_by_module: dict[str, set[str]]) -> set[str]:
    """The handlers a module can call by name: its own, and those it imports from a module that defines them."""
    names = set(handlers_by_module.get("<self>", set()))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            defined = handlers_by_module.get(node.module.split(".")[-1], set())
            names |= {alias.asname or alias.name for alias in node.names if alias.name in defined}
    return names


def _calls_of(tree: ast.Module, names: set[str]) -> list[str]:
    return [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
    ]


def test_the_handler_scan_sees_a_handler_called_as_a_function() -> None:
    tree = ast.parse(
        "from .api import api_c, helper\n\n"
        "@router.post('/a')\ndef api_a(body): return 1\n\n"
        "@router.post('/b')\nasync def api_b(request): return api_a(None) + api_c() + helper() + store.api_a()\n"
    )
    handlers = _route_handlers(tree)
    assert handlers == {"api_a", "api_b"}
    in_scope = _handler_names_in_scope(tree, {"<self>": handlers, "api": {"api_c"}})
    assert _calls_of(tree, in_scope) == ["api_a", "api_c"]


def test_no_route_handler_is_called_as_a_function() -> None:
    """Routes share plain functions; a handler called directly skips its own dependencies and validation."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in APP.rglob("*.py")}
    by_module = {path.stem: _route_handlers(tree) for path, tree in trees.items()}
    assert sum(len(names) for names in by_module.values()) > 20  # positive control: the routers were found
    calls = {}
    for path, tree in trees.items():
        in_scope = _handler_names_in_scope(tree, {**by_module, "<self>": by_module[path.stem]})
        if found := _calls_of(tree, in_scope):
            calls[str(path.relative_to(ROOT))] = found
    assert calls == {}
