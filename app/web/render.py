"""Jinja2 templates found wherever the package lives, with versioned static URLs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.core.jsonparse import json_safe
from app.core.jwe import JWE_ALGORITHMS, JWE_ENCRYPTIONS
from app.paths import STATIC_DIR, TEMPLATES_DIR

__all__ = ["CachedStatic", "static_url", "templates"]


def _fingerprints() -> dict[str, str]:
    return {
        path.relative_to(STATIC_DIR).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in STATIC_DIR.rglob("*")
        if path.is_file()
    }


_VERSIONS = _fingerprints()


def static_url(name: str) -> str:
    version = _VERSIONS.get(name)
    return f"/static/{name}?v={version}" if version else f"/static/{name}"


def pretty_json(value: Any) -> str:
    return json.dumps(json_safe(value), indent=2, ensure_ascii=False)


def compact_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(json_safe(value), ensure_ascii=False)


class CachedStatic(StaticFiles):
    """Static files with long-lived caching: every URL we emit carries a content hash."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.globals["static_url"] = static_url
templates.env.filters["pretty_json"] = pretty_json
templates.env.filters["compact_value"] = compact_value
templates.env.globals["jwe_algorithms"] = JWE_ALGORITHMS
templates.env.globals["jwe_encryptions"] = JWE_ENCRYPTIONS
