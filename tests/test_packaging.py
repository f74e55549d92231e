"""The wheel carries templates/ and static/, and the installed package finds them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
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
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("jwtlens-*.whl")
    return built


def test_wheel_contains_templates_and_static(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "app/templates/index.html" in names
    assert "app/templates/_debugger.html" in names
    assert "app/static/app.css" in names
    assert any(n.startswith("app/static/htmx-") and n.endswith(".min.js") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "jwtlens = app.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_serves_page_and_static_from_its_own_folder(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = """
import re, app, app.paths
from fastapi.testclient import TestClient
from app.main import create_app
print(app.__file__)
print(app.paths.TEMPLATES_DIR)
client = TestClient(create_app(), base_url="http://127.0.0.1")
page = client.get("/")
assert page.status_code == 200 and 'id="pane-verify"' in page.text, page.status_code
css = re.search(r'href="(/static/app.css[^"]*)"', page.text).group(1)
assert client.get(css).status_code == 200
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(target), "JWTLENS_DB_PATH": str(tmp_path / "db.sqlite3")}
    # Run outside the checkout so nothing resolves from the repository root.
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    module_file, templates_dir, status = done.stdout.split()
    assert module_file.startswith(str(target)) and templates_dir.startswith(str(target))
    assert status == "ok"
