"""The wheel installs one package, `jwtlens`, with templates/ and static/ inside it, and nothing called `app`.

A FastAPI project usually has its own top-level `app`; installing jwtlens into that project's environment must not
shadow it or be shadowed by it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from tests.paths import APP, ROOT
from tests.servers import free_port, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("jwtlens-*.whl")
    return built


def test_the_wheel_holds_only_jwtlens(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"jwtlens"}
    assert "jwtlens/templates/index.html" in names and "jwtlens/templates/_debugger.html" in names
    assert "jwtlens/static/app.css" in names and "jwtlens/static/app.js" in names
    assert any(n.startswith("jwtlens/static/htmx-") and n.endswith(".min.js") for n in names)
    # Every module of the checkout is in the wheel, and every template and static file.
    shipped = {n.removeprefix("jwtlens/") for n in names if n.startswith("jwtlens/")}
    assert {str(p.relative_to(APP)) for p in APP.rglob("*.py")} <= shipped
    assert {f"templates/{p.name}" for p in (ROOT / "templates").iterdir() if p.is_file()} <= shipped
    assert {f"static/{p.name}" for p in (ROOT / "static").iterdir() if p.is_file()} <= shipped
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "jwtlens = jwtlens.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_pyproject_lists_every_package_of_the_checkout() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(("jwtlens", *init.parent.relative_to(APP).parts)) for init in APP.rglob("__init__.py")} | {
        "jwtlens.templates",
        "jwtlens.static",
    }
    assert listed == found


def _absolute_self_imports(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lines = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.level == 0
        and (node.module or "").split(".")[0] in ("app", "jwtlens")
    ]
    lines += [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in ("app", "jwtlens") for a in node.names)
    ]
    return lines


def test_the_code_imports_itself_relatively(tmp_path: Path) -> None:
    """Installed, app/ is called jwtlens/: an absolute `app.` import inside it would break (or find someone else's)."""
    sample = tmp_path / "sample.py"
    sample.write_text("from app.core import x\nimport jwtlens.web\nfrom .core import y\nfrom ..web import z\n")
    assert _absolute_self_imports(sample) == [1, 2]  # positive control
    offenders = {str(p.relative_to(ROOT)): lines for p in APP.rglob("*.py") if (lines := _absolute_self_imports(p))}
    assert offenders == {}


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A new venv holding someone's own `app` package and then jwtlens's wheel (dependencies borrowed from ours)."""
    home = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(home)
    python = home / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The test environment's site-packages as a plain path: its .pth files (our editable install) are not run.
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "borrowed-dependencies.pth").write_text(ours + "\n")
    theirs = site / "app"
    theirs.mkdir()
    (theirs / "__init__.py").write_text('OWNER = "someone else\'s FastAPI project"\n')
    (theirs / "main.py").write_text("app = object()\n")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return home


def test_installed_beside_an_app_package_both_import(fresh_venv: Path, tmp_path: Path) -> None:
    probe = (
        "import app, app.main, jwtlens, jwtlens.paths\n"
        "from jwtlens.main import create_app\n"
        "print(app.OWNER)\nprint(jwtlens.__file__)\nprint(jwtlens.paths.TEMPLATES_DIR)\nprint(jwtlens.paths.STATIC_DIR)"
    )
    done = subprocess.run(
        [str(fresh_venv / "bin" / "python"), "-c", probe],
        cwd=tmp_path,  # outside the checkout, so nothing resolves from the repository root
        env={**os.environ, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    owner, module, templates, static = done.stdout.splitlines()
    assert owner == "someone else's FastAPI project"
    site = str(fresh_venv)
    assert module.startswith(site) and templates.startswith(site) and static.startswith(site)
    assert templates.endswith("jwtlens/templates") and static.endswith("jwtlens/static")


def test_installed_console_script_serves_the_page_and_its_static_files(fresh_venv: Path, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [str(fresh_venv / "bin" / "jwtlens"), "serve", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": "", "JWTLENS_DB_PATH": str(tmp_path / "db.sqlite3")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(f"{origin}/healthz", proc) == 200
        with urllib.request.urlopen(f"{origin}/") as page:
            html = page.read().decode()
        assert 'id="pane-verify"' in html
        for asset in ("app.css", "app.js"):
            start = html.index(f"/static/{asset}")
            path = html[start : html.index('"', start)]
            with urllib.request.urlopen(origin + path) as answer:
                assert answer.status == 200 and answer.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
