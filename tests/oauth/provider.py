"""A real OpenID Provider for the tests: node's oidc-provider (tests/oauth/idp/server.mjs) on 127.0.0.1.

The npm package is installed once into a cache folder (``$JWTLENS_NODE_CACHE``, default
``~/.cache/jwtlens-node``); ``.ci/run`` installs it up front, so a fresh CI machine works too.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.servers import free_port

OIDC_PROVIDER = "oidc-provider@9"
SERVER_SCRIPT = Path(__file__).parent / "idp" / "server.mjs"
#: a client secret that must never appear in a log line, a URL or an answer that is not the user's own
CANARY_SECRET = "canary-secret-7f3e9b2c41d8a6e5"


def node_cache() -> Path:
    return Path(os.environ.get("JWTLENS_NODE_CACHE") or Path.home() / ".cache" / "jwtlens-node")


def ensure_oidc_provider() -> Path:
    """The cache folder with oidc-provider installed (npm install on first use) and server.mjs beside it."""
    cache = node_cache()
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise RuntimeError("node and npm are needed for the OpenID Provider tests (Debian: apt-get install nodejs npm)")
    if not (cache / "node_modules" / "oidc-provider" / "package.json").is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", OIDC_PROVIDER],
            check=True,
            capture_output=True,
            timeout=300,
        )
    # ESM imports resolve from the script's own folder, so the script runs from the cache.
    script = cache / "server.mjs"
    if not script.is_file() or script.read_bytes() != SERVER_SCRIPT.read_bytes():
        shutil.copyfile(SERVER_SCRIPT, script)
    return script


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    public_client_id: str
    output: list[str] = field(default_factory=list)


@contextmanager
def running_provider(redirect_uris: list[str]) -> Iterator[Provider]:
    script = ensure_oidc_provider()
    port = free_port()
    provider = Provider(f"http://127.0.0.1:{port}", "jwtlens-test", CANARY_SECRET, "jwtlens-public")
    config = {
        "client_id": provider.client_id,
        "client_secret": provider.client_secret,
        "public_client_id": provider.public_client_id,
        "redirect_uris": redirect_uris,
    }
    process = subprocess.Popen(
        ["node", str(script), str(port), json.dumps(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=script.parent,
    )
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            provider.output.append(line.rstrip("\n"))
            if line.startswith("listening "):
                ready.set()

    reader = threading.Thread(target=read, name="oidc-provider-stdout", daemon=True)
    reader.start()
    try:
        if not ready.wait(30):
            raise RuntimeError("oidc-provider did not start within 30 s:\n" + "\n".join(provider.output))
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        reader.join(5)
        if process.stdout is not None:
            process.stdout.close()


# -- a user at the provider's development login and consent screens, without a browser ---------------

_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input[^>]*>")
_ATTRIBUTE = re.compile(r'([a-z_-]+)="([^"]*)"')


@dataclass(frozen=True)
class Callback:
    method: str  # GET (query) or POST (form_post)
    url: str
    form: dict[str, str]


def sign_in(authorization_url: str, callback_prefix: str, *, login: str = "alice") -> Callback:
    """Follow the provider's screens (login, consent) as a user would, up to the callback it sends back."""
    with httpx.Client(follow_redirects=False, timeout=10, trust_env=False) as client:
        response = client.get(authorization_url)
        for _ in range(12):
            if response.is_redirect:
                location = urljoin(str(response.url), response.headers["location"])
                if location.startswith(callback_prefix):
                    return Callback("GET", location, {})
                response = client.get(location)
                continue
            found = _FORM.search(response.text)
            assert found, f"no form on the provider's page (HTTP {response.status_code})"
            action = urljoin(str(response.url), html.unescape(found.group(1)))
            fields = {}
            for tag in _INPUT.findall(found.group(2)):
                attributes = dict(_ATTRIBUTE.findall(tag))
                if "name" in attributes:
                    fields[attributes["name"]] = html.unescape(attributes.get("value", ""))
            if action.startswith(callback_prefix):
                return Callback("POST", action, fields)
            if "login" in fields:
                fields.update(login=login, password="any")
            response = client.post(action, data=fields)
        raise AssertionError("the provider's screens did not lead to the callback")
