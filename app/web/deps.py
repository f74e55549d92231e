"""Dependencies shared by the routers: what create_app put on app.state.

They are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the thread pool,
which cost the htmx fragments a third of their throughput (see docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..fetch import IssuerCache
from ..store import Store


async def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_issuer_cache(request: Request) -> IssuerCache:
    cache: IssuerCache = request.app.state.issuer_cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
IssuerCacheDep = Annotated[IssuerCache, Depends(get_issuer_cache)]
