"""Finding and launching the Chromium that browser tests and benchmarks drive (shared by both)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_ARGS", "NO_BROWSER", "BadBrowserPath", "find_chromium"]

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
NO_BROWSER = "no Chromium: set JWTLENS_CHROMIUM or apt-get install chromium"
# Running as root in a container with no network: no sandbox, nothing that phones home.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class BadBrowserPath(ValueError):
    """``$JWTLENS_CHROMIUM`` names something that is not an executable file."""


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def find_chromium(playwright: Any) -> str | None:
    """``$JWTLENS_CHROMIUM``, then Debian's /usr/bin/chromium, then a browser Playwright installed; or None."""
    explicit = os.environ.get("JWTLENS_CHROMIUM", "").strip()
    if explicit:
        if not _executable(Path(explicit)):
            raise BadBrowserPath(f"JWTLENS_CHROMIUM={explicit} is not an executable file")
        return explicit
    if _executable(SYSTEM_CHROMIUM):
        return str(SYSTEM_CHROMIUM)
    try:
        bundled = Path(playwright.chromium.executable_path)
    except Exception:  # Playwright raises when it has no browser registry entry
        return None
    return str(bundled) if _executable(bundled) else None
