"""Where things are, for every test: the checkout, its app/, and the shared vectors beside it."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
#: RFC 7520 cookbook, Wycheproof and the rfc-examples transcriptions (../shared/vectors/SOURCES.md)
VECTORS = ROOT.parent / "shared" / "vectors"
