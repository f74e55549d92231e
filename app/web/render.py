"""Jinja2 templates found wherever the package lives, with versioned static URLs."""

from __future__ import annotations

import gzip
import hashlib
import json
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ..core import SECRET_ENCODINGS
from ..core.jsonparse import json_safe
from ..core.jwe import JWE_ALGORITHMS, JWE_ENCRYPTIONS
from ..core.keys import KEY_KIND_LABELS
from ..paths import STATIC_DIR, TEMPLATES_DIR
from .limits import off_loop
from .policyform import FORM_FIELDS

__all__ = ["CachedStatic", "render", "static_url", "template_cache", "templates"]


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


#: a claim value longer than this is folded in tables (the editor above holds it whole)
FOLD_AT = 600


def compact_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(json_safe(value), ensure_ascii=False)
    if len(text) <= FOLD_AT:
        return text
    return f"{text[: FOLD_AT - 100]}… (folded: {len(text):,} characters in all)"


_COMPRESSIBLE = (".js", ".css", ".svg", ".html", ".json", ".txt")


@lru_cache(maxsize=64)
def _gzipped(path: str, mtime: float) -> bytes:
    # Static files hold no secrets, so compressing them is safe (no BREACH-style length oracle).
    return gzip.compress(Path(path).read_bytes(), compresslevel=9, mtime=0)


class CachedStatic(StaticFiles):
    """Static files, gzip-compressed once and cached long: every URL we emit carries a content hash."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code != 200:
            return response
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
        accepts = dict(scope["headers"]).get(b"accept-encoding", b"").decode("latin-1")
        full_path, stat = self.lookup_path(path)
        if "gzip" in accepts and full_path and stat and full_path.endswith(_COMPRESSIBLE):
            body = _gzipped(full_path, stat.st_mtime)
            media_type = response.media_type or response.headers.get("content-type")
            return Response(body, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
        response.headers.update(headers)
        return response


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept between starts (compiling them is most of the first page's cost).

    Jinja's per-user directory in the temp dir, created 0700 and refused unless it is the user's own; a
    template whose source changed is compiled again (the cache checks a checksum of the source). A cache
    that cannot be written is skipped, never an error.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with suppress(OSError):
            super().dump_bytecode(bucket)


def template_cache(directory: str | None = None) -> FileSystemBytecodeCache | None:
    try:
        return _TemplateCache(directory, "jwtlens-%s.cache")
    except (OSError, RuntimeError):  # no temp dir, or one another user could write to: compile every start
        return None


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.auto_reload = False  # templates ship with the package; checking their mtimes cost every render
templates.env.bytecode_cache = template_cache()
templates.env.globals["static_url"] = static_url
templates.env.filters["pretty_json"] = pretty_json
templates.env.filters["compact_value"] = compact_value
templates.env.globals["jwe_algorithms"] = JWE_ALGORITHMS
templates.env.globals["jwe_encryptions"] = JWE_ENCRYPTIONS
templates.env.globals["policy_fields"] = FORM_FIELDS
templates.env.globals["secret_encodings"] = SECRET_ENCODINGS
templates.env.globals["key_kind_labels"] = KEY_KIND_LABELS


async def render(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    """A template rendered in the worker pool: a fragment can echo a 256 KB token, too much for the event loop."""
    response: HTMLResponse = await off_loop(request, templates.TemplateResponse, request, name, context)
    return response
