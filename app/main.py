"""The ASGI application: ``create_app(settings)``; ``app`` is the default instance."""

from __future__ import annotations

from fastapi import FastAPI

from app import __version__
from app.config import Settings, get_settings
from app.paths import STATIC_DIR
from app.store import Store
from app.web import api, fragments, pages, profiles
from app.web.errors import install_error_handlers
from app.web.headers import SecurityHeaders
from app.web.limits import BodySizeLimit
from app.web.render import CachedStatic

__all__ = ["app", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    application = FastAPI(
        title="jwtlens",
        version=__version__,
        description="Local JWT debugger: decode, verify and sign JSON Web Tokens. Nothing leaves this machine.",
        # Swagger UI and ReDoc load from a CDN; the schema stays at /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    application.state.settings = settings
    application.state.store = Store(settings.database)
    application.dependency_overrides[get_settings] = lambda: settings
    install_error_handlers(application)
    application.include_router(pages.router)
    application.include_router(fragments.router)
    application.include_router(api.router)
    application.include_router(profiles.router)
    application.mount("/static", CachedStatic(directory=str(STATIC_DIR)), name="static")
    application.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    application.add_middleware(SecurityHeaders)
    return application


app = create_app()
