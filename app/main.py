"""The ASGI application: ``create_app(settings)``; ``app`` is the default instance."""

from __future__ import annotations

import logging
import secrets
from functools import cache

from fastapi import FastAPI

from . import __version__
from .config import Settings, get_settings
from .fetch import IssuerCache
from .paths import STATIC_DIR
from .store import Store
from .web import api, fragments, grants, keys_api, pages, profiles, signin
from .web.errors import LastResort, install_error_handlers
from .web.guard import AccessGuard
from .web.headers import SecurityHeaders
from .web.limits import BodySizeLimit, cpu_pool
from .web.render import CachedStatic

__all__ = ["app", "create_app"]


def access_token_for(settings: Settings) -> str | None:
    """The token a non-loopback instance demands: configured, or made now (the CLI prints it)."""
    if not settings.auth_required:
        return None
    if settings.access_token is not None and settings.access_token.get_secret_value():
        return settings.access_token.get_secret_value()
    return secrets.token_urlsafe(24)


def create_app(settings: Settings | None = None, *, access_token: str | None = None) -> FastAPI:
    """The application. ``access_token`` overrides the one derived from settings (the CLI passes its own)."""
    settings = settings or get_settings()
    token = access_token if access_token is not None else access_token_for(settings)
    application = FastAPI(
        title="jwtlens",
        version=__version__,
        description="Local JWT debugger: decode, verify and sign JSON Web Tokens. Nothing leaves this machine.",
        # Swagger UI and ReDoc load from a CDN; the schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    application.state.settings = settings
    application.state.store = Store(
        settings.database, max_profiles=settings.max_profiles, max_profile_bytes=settings.max_profile_bytes
    )
    application.state.issuer_cache = IssuerCache()
    # Decoding, verifying, signing and key parsing run in these threads, never on the event loop.
    application.state.cpu_pool = cpu_pool(settings.cpu_workers)
    install_error_handlers(application)
    # Routes are matched in order, one regex each: the page and the API that scripts call in loops come
    # before the fragments' twenty (a keystroke's request pays for the API's few).
    application.include_router(pages.router)
    application.include_router(api.router)
    application.include_router(fragments.router)
    application.include_router(profiles.router)
    application.include_router(keys_api.router)
    application.include_router(grants.router)
    application.include_router(signin.router)
    application.mount("/static", CachedStatic(directory=str(STATIC_DIR)), name="static")
    imports = ("/api/profiles/import", "/fragments/profile/import")
    application.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={path: max(settings.max_import_bytes, settings.max_body_bytes) for path in imports},
    )
    # Before any handler: refuse foreign Hosts, cross-site POSTs and strangers (inside the headers layer,
    # so its refusals carry the security headers too).
    allowed = frozenset(h.strip().lower().strip("[]") for h in settings.allowed_hosts)
    application.add_middleware(AccessGuard, allowed_hosts=allowed, access_token=token)
    # Inside the headers layer, so even a 500 carries the CSP and no-store.
    application.add_middleware(LastResort)
    application.add_middleware(SecurityHeaders)
    application.state.access_token = token
    _quiet_http_client_logs()
    return application


def _quiet_http_client_logs() -> None:
    # httpx logs every request's full URL at INFO: query strings and userinfo may hold tokens.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


app: FastAPI  # built on first access by __getattr__ below


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first use (uvicorn app.main:app), so importing this module never reads settings.
    if name == "app":
        return _default_app()
    raise AttributeError(name)
