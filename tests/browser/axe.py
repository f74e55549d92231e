"""axe-core for the browser tests: a test-only npm package, installed once into a cache folder, never served.

``$JWTLENS_NODE_CACHE`` (default ``~/.cache/jwtlens-node``) holds it. Without npm the accessibility
checks skip, except under ``CI=true`` where they must run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

__all__ = ["AXE_VERSION", "axe_script", "serious_violations"]

AXE_VERSION = "4.10.3"


def _cache() -> Path:
    return Path(os.environ.get("JWTLENS_NODE_CACHE", Path.home() / ".cache" / "jwtlens-node"))


def axe_script() -> Path | str:
    """The path of axe.min.js, installing it with npm when missing; or why it cannot be had."""
    folder = _cache() / f"axe-core-{AXE_VERSION}"
    script = folder / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file():
        return script
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed: the accessibility checks need axe-core from npm"
    folder.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(folder), f"axe-core@{AXE_VERSION}", "--no-audit", "--no-fund"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not script.is_file():
        return f"npm install axe-core@{AXE_VERSION} failed: {done.stderr.strip()[-500:]}"
    return script


_RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ': ' + n.failureSummary)}));
}
"""


def serious_violations(page: Page, script: Path) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (the context must bypass the CSP)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(script))
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return found
