"""What every benchmark shares: the server under test, statistics, keys and tokens, budgets, machine info."""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"

# -- statistics -------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks; nan for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def spread(values: Sequence[float]) -> float:
    """(max - min) / median: how much repeated measurements of one thing disagreed."""
    mid = median(values)
    return (max(values) - min(values)) / mid if values and mid else float("nan")


# -- results ----------------------------------------------------------------------


@dataclass
class Budget:
    """One budget: ``measured <op> limit``."""

    name: str
    measured: float | None
    limit: float
    op: str  # "<=" or ">="
    unit: str = ""
    note: str = ""

    @property
    def passed(self) -> bool:
        if self.measured is None or self.measured != self.measured:  # not measured, or nan
            return False
        return self.measured <= self.limit if self.op == "<=" else self.measured >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "limit": f"{self.op} {fmt(self.limit)}{self.unit}",
            "limit_value": self.limit,
            "measured": self.measured,
            "unit": self.unit.strip(),
            "passed": self.passed,
            "note": self.note,
        }


@dataclass
class Section:
    """One benchmark's outcome: rows for the printed table, figures for results.json, budgets."""

    key: str
    title: str
    rows: list[tuple[str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    budgets: list[Budget] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    def row(self, label: str, value: str) -> None:
        self.rows.append((label, value))

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "seconds": round(self.seconds, 1),
            "error": self.error,
            "figures": self.figures,
            "budgets": [b.as_dict() for b in self.budgets],
        }


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or value != value:
        return "n/a"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


# -- machine ----------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = None
    with contextlib.suppress(OSError):
        load = [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    mem_total = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_total = int(line.split()[1]) // 1024
    versions: dict[str, str] = {}
    for dist in ("fastapi", "starlette", "uvicorn", "jinja2", "joserfc", "cryptography", "playwright"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[dist] = version(dist)
    for extra in ("httptools", "uvloop"):
        versions[extra] = "installed" if _importable(extra) else "absent"
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "memory_mb": mem_total,
        "load_average_at_start": load,
        "packages": versions,
    }


def _importable(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


# -- HTTP -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    header_bytes: int


def request(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Reply:
    """One request over a fresh connection; the body comes back as sent on the wire (not decompressed)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.read()
        header_lines = [f"{k}: {v}" for k, v in response.getheaders()]
        # status line + header lines + blank line, as they crossed the wire (HTTP/1.1)
        header_bytes = (
            len(f"HTTP/1.1 {response.status} {response.reason}\r\n") + sum(len(h) + 2 for h in header_lines) + 2
        )
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, raw, header_bytes)
    finally:
        connection.close()


# -- the server under test ----------------------------------------------------------


def serve_command(port: int) -> list[str]:
    """``jwtlens serve`` as a user starts it: the console script, else ``python -m app serve``."""
    script = BIN / "jwtlens"
    if script.exists():
        return [str(script), "serve", "--host", HOST, "--port", str(port)]
    return [sys.executable, "-m", "jwtlens", "serve", "--host", HOST, "--port", str(port)]


_PYCACHE: list[Path] = []


def pycache_dir() -> Path:
    """One bytecode cache for every Python process the bench starts, outside the checkout, gone at exit.

    Python keeps compiled modules unless PYTHONDONTWRITEBYTECODE is set, as some CI images and sandboxes
    do; there every start compiles jwtlens's own modules again (its site-packages were compiled by pip).
    A user's second start reads bytecode, and so do the bench's measured starts (section 4 starts once untimed).
    """
    if not _PYCACHE:
        _PYCACHE.append(Path(tempfile.mkdtemp(prefix="jwtlens-bench-pycache-")))
        atexit.register(shutil.rmtree, _PYCACHE[0], ignore_errors=True)
    return _PYCACHE[0]


class Server:
    """``jwtlens serve`` in a subprocess on a free loopback port, with its own SQLite file."""

    def __init__(self, label: str = "server", cpus: frozenset[int] | None = None) -> None:
        self.label = label
        #: CPUs the process may run on (Linux); None leaves it to the scheduler, as `jwtlens serve` runs
        self.cpus = cpus
        self.workdir = Path(tempfile.mkdtemp(prefix=f"jwtlens-bench-{label}-"))
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JWTLENS_")}
        env["JWTLENS_DB_PATH"] = str(self.workdir / "jwtlens.sqlite3")
        env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        env["NO_COLOR"] = "1"
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache_dir())
        for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
            env.pop(proxy, None)
        return env

    def launch(self) -> float:
        """Start the process; returns the perf_counter time just before it was spawned."""
        self.port = free_port()
        log = self.log_path.open("ab")
        started = time.perf_counter()
        # cwd is the scratch directory: a developer's .env in the checkout must not change what is measured.
        cpus = self.cpus
        self.process = subprocess.Popen(
            serve_command(self.port),
            cwd=self.workdir,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=None if cpus is None else lambda: os.sched_setaffinity(0, cpus),
        )
        log.close()
        return started

    def wait_ready(self, path: str = "/healthz", timeout: float = 30.0, poll: float = 0.005) -> float:
        """Poll ``path`` until it answers 200; returns the perf_counter time of that answer."""
        assert self.process is not None
        deadline = time.perf_counter() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.process.returncode}: {self.log_tail()}")
            try:
                if request(self.port, "GET", path, timeout=2).status == 200:
                    return time.perf_counter()
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{self.label} did not answer {path} within {timeout:.0f} s: {self.log_tail()}")
            time.sleep(poll)

    def start(self) -> Server:
        for attempt in range(3):
            self.launch()
            try:
                self.wait_ready()
                return self
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def threads(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
        return 0

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


# -- keys and tokens ----------------------------------------------------------------

ISSUER = "https://issuer.bench.example"
AUDIENCE = "jwtlens-bench"
ALGS = ("HS256", "RS256", "ES256", "EdDSA")


@dataclass(frozen=True)
class KeySet:
    alg: str
    signing: Any  # a joserfc key
    verify_text: str  # what a user pastes: the secret, or the public key as PEM


def make_keys() -> dict[str, KeySet]:
    from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

    secret = secrets.token_urlsafe(32)  # 43 characters: above HS256's 32-byte minimum, so no short-secret finding
    rsa = RSAKey.generate_key(2048)
    ec = ECKey.generate_key("P-256")
    okp = OKPKey.generate_key("Ed25519")
    return {
        "HS256": KeySet("HS256", OctKey.import_key(secret), secret),
        "RS256": KeySet("RS256", rsa, rsa.as_pem(private=False).decode()),
        "ES256": KeySet("ES256", ec, ec.as_pem(private=False).decode()),
        "EdDSA": KeySet("EdDSA", okp, okp.as_pem(private=False).decode()),
    }


def claims(index: int = 0, now: int | None = None, **extra: Any) -> dict[str, Any]:
    issued = int(time.time()) if now is None else now
    base: dict[str, Any] = {
        "iss": ISSUER,
        "sub": f"bench-user-{index}",
        "aud": AUDIENCE,
        "name": "Benchmark User",
        "iat": issued,
        "exp": issued + 4 * 3600,
        "jti": f"bench-{index}-{secrets.token_hex(4)}",
    }
    base.update(extra)
    return base


def make_token(keys: KeySet, index: int = 0, **extra: Any) -> str:
    from joserfc import jwt

    header = {"alg": keys.alg, "typ": "JWT", "kid": f"bench-{keys.alg.lower()}"}
    return jwt.encode(header, claims(index, **extra), keys.signing, algorithms=[keys.alg])


#: the claims policy sent with every verify: issuer, audience and required claims all checked
POLICY: dict[str, Any] = {"iss": [ISSUER], "aud": [AUDIENCE], "required": ["sub", "exp", "iat"], "leeway": 30}


def api_verify_body(token: str, key_text: str) -> bytes:
    return json.dumps({"token": token, "key": key_text, "policy": POLICY}).encode()


def fragment_settings_body(token: str, key_text: str) -> bytes:
    from urllib.parse import urlencode

    return urlencode(
        {
            "token": token,
            "key": key_text,
            "mode": "verify",
            "secret_encoding": "utf8",
            "policy_iss": ISSUER,
            "policy_aud": AUDIENCE,
        }
    ).encode()


@contextlib.contextmanager
def timer() -> Iterator[list[float]]:
    """``with timer() as t: ...`` then ``t[0]`` is the elapsed seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


# -- the browser ----------------------------------------------------------------------


class NoBrowser(RuntimeError):
    """No Chromium to drive: the browser benchmarks cannot measure anything."""


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import CHROMIUM_ARGS, NO_BROWSER, BadBrowserPath, find_chromium

    with sync_playwright() as playwright:
        try:
            path = find_chromium(playwright)
        except BadBrowserPath as exc:
            raise NoBrowser(str(exc)) from None
        if path is None:
            raise NoBrowser(NO_BROWSER)
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
