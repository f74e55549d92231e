"""Where templates/ and static/ live: inside the installed package, or at the repository root."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    # An installed wheel carries app/templates; a checkout keeps them beside app/.
    for base in (_HERE, _HERE.parent):
        candidate = base / name
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"jwtlens cannot find its {name}/ folder next to {_HERE}")


TEMPLATES_DIR = _locate("templates")
STATIC_DIR = _locate("static")
