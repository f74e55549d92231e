"""ruff and mypy (strict on app/) stay clean: a regression here fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_is_clean():
    done = run(str(BIN / "ruff"), "check", ".")
    assert done.returncode == 0, done.stdout[-3000:]


def test_ruff_format_is_clean():
    done = run(str(BIN / "ruff"), "format", "--check", ".")
    assert done.returncode == 0, done.stdout[-3000:]


def test_mypy_strict_is_clean():
    done = run(str(BIN / "mypy"))
    assert done.returncode == 0, done.stdout[-3000:]
