"""A small HTTP/1.1 load generator: keep-alive connections at a fixed concurrency, in worker processes.

Each worker process runs one ``selectors`` loop over its connections: every connection sends a request,
reads the whole answer (Content-Length or chunked), records the latency and sends the next one, until the
run's duration (or request count) is used up. Requests are pre-encoded bytes cycled in order, so the
client spends microseconds per request and the single-process server stays the bottleneck (each run
reports the client's and the server's CPU use so that can be checked).

Requests still in flight when the duration ends are waited for but not counted.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import selectors
import socket
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HOST = "127.0.0.1"


def build_request(
    method: str,
    path: str,
    port: int,
    body: bytes | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "User-Agent: jwtlens-bench", "Accept: */*"]
    if body is not None:
        lines.append(f"Content-Type: {content_type or 'application/octet-stream'}")
        lines.append(f"Content-Length: {len(body)}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + (body or b"")


@dataclass
class _Conn:
    sock: socket.socket
    buf: bytearray = field(default_factory=bytearray)
    sent_at: float = 0.0
    busy: bool = False
    outgoing: bytes = b""


def _complete(buf: bytearray) -> tuple[int, int] | None:
    """(status, total length) once ``buf`` holds a whole response, else None."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).lower()
    status = int(head[9:12])
    marker = head.find(b"\r\ncontent-length:")
    if marker >= 0:
        stop = head.find(b"\r\n", marker + 2)
        length = int(head[marker + 17 : stop if stop >= 0 else len(head)].strip())
        total = end + 4 + length
        return (status, total) if len(buf) >= total else None
    if b"\r\ntransfer-encoding: chunked" in head:
        tail = buf.find(b"\r\n0\r\n\r\n", end)
        if tail >= 0:
            return status, tail + 7
        if buf[end + 4 : end + 9] == b"0\r\n\r\n":
            return status, end + 9
        return None
    return status, end + 4  # no body (e.g. 204/304)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    return sock


def run_load(
    port: int,
    requests: list[bytes],
    connections: int,
    duration: float | None = None,
    max_requests: int | None = None,
    offset: int = 0,
    expect: tuple[int, ...] = (200,),
) -> dict[str, Any]:
    """Drive ``connections`` keep-alive connections for ``duration`` seconds or ``max_requests`` requests."""
    assert duration is not None or max_requests is not None
    selector = selectors.DefaultSelector()
    conns = [_Conn(_connect(port)) for _ in range(connections)]
    latencies = array("d")
    statuses: Counter[int] = Counter()
    errors = 0
    issued = 0
    next_index = offset
    cpu_started = time.process_time()
    started = time.perf_counter()
    deadline = started + duration if duration is not None else float("inf")

    def may_issue(now: float) -> bool:
        return now < deadline and (max_requests is None or issued < max_requests)

    def send(conn: _Conn, now: float) -> None:
        nonlocal issued, next_index
        data = requests[next_index % len(requests)]
        next_index += 1
        issued += 1
        conn.sent_at = now
        conn.busy = True
        conn.buf.clear()
        try:
            sent = conn.sock.send(data)
        except BlockingIOError:
            sent = 0
        conn.outgoing = data[sent:]
        selector.register(conn.sock, selectors.EVENT_WRITE if conn.outgoing else selectors.EVENT_READ, conn)

    now = time.perf_counter()
    for conn in conns:
        send(conn, now)
    drain_until = float("inf")
    while any(c.busy for c in conns):
        events = selector.select(timeout=0.5)
        now = time.perf_counter()
        if now >= deadline and drain_until == float("inf"):
            drain_until = now + 5.0
        if now > drain_until:
            break
        for key, mask in events:
            conn: _Conn = key.data
            if mask & selectors.EVENT_WRITE:
                try:
                    sent = conn.sock.send(conn.outgoing)
                except BlockingIOError:
                    continue
                conn.outgoing = conn.outgoing[sent:]
                if not conn.outgoing:
                    selector.modify(conn.sock, selectors.EVENT_READ, conn)
                continue
            try:
                chunk = conn.sock.recv(262144)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:  # the server closed the connection: count it, reconnect
                errors += 1
                selector.unregister(conn.sock)
                conn.sock.close()
                conn.busy = False
                if may_issue(now):
                    conn.sock = _connect(port)
                    send(conn, now)
                continue
            conn.buf += chunk
            done = _complete(conn.buf)
            if done is None:
                continue
            status, _ = done
            selector.unregister(conn.sock)
            conn.busy = False
            if conn.sent_at < deadline and now <= deadline:
                latencies.append(now - conn.sent_at)
                statuses[status] += 1
            if may_issue(now):
                send(conn, now)
    elapsed = (min(time.perf_counter(), deadline) if duration is not None else time.perf_counter()) - started
    for conn in conns:
        if conn.busy:
            selector.unregister(conn.sock)
        conn.sock.close()
    selector.close()
    completed = len(latencies)
    return {
        "completed": completed,
        "errors": errors + sum(n for s, n in statuses.items() if s not in expect),
        "statuses": dict(statuses),
        "elapsed": elapsed,
        "latencies": latencies.tobytes(),
        "client_cpu": time.process_time() - cpu_started,
    }


def _worker(pipe: multiprocessing.connection.Connection, port: int) -> None:
    catalog: dict[str, list[bytes]] = {}
    while True:
        message = pipe.recv()
        if message is None:
            return
        kind, payload = message
        if kind == "load":
            catalog[payload["name"]] = payload["requests"]
            pipe.send("ok")
        elif kind == "run":
            options = dict(payload)
            requests = catalog[options.pop("name")]
            try:
                pipe.send(run_load(port, requests, **options))
            except Exception as exc:  # report, keep serving
                pipe.send({"exception": f"{type(exc).__name__}: {exc}"})


@dataclass
class LoadResult:
    completed: int
    errors: int
    statuses: dict[int, int]
    seconds: float
    rps: float
    latencies: list[float]
    client_cpu: float


class LoadGenerator:
    """``processes`` worker processes sharing ``connections`` keep-alive connections to one port."""

    def __init__(self, port: int, processes: int = 2) -> None:
        self.port = port
        context = multiprocessing.get_context("spawn")
        self.pipes: list[multiprocessing.connection.Connection] = []
        self.workers = []
        for _ in range(processes):
            parent, child = context.Pipe()
            process = context.Process(target=_worker, args=(child, port), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.workers.append(process)

    def load(self, name: str, requests: list[bytes]) -> None:
        for pipe in self.pipes:
            pipe.send(("load", {"name": name, "requests": requests}))
        for pipe in self.pipes:
            pipe.recv()

    def run(
        self,
        name: str,
        connections: int,
        duration: float | None = None,
        max_requests: int | None = None,
        expect: tuple[int, ...] = (200,),
        catalog_size: int = 1,
    ) -> LoadResult:
        count = len(self.pipes)
        shares = [connections // count + (1 if i < connections % count else 0) for i in range(count)]
        quotas: list[int | None] = [None] * count
        if max_requests is not None:
            quotas = [max_requests // count + (1 if i < max_requests % count else 0) for i in range(count)]
        active = [i for i in range(count) if shares[i] > 0]
        for i in active:
            options = {
                "name": name,
                "connections": shares[i],
                "duration": duration,
                "max_requests": quotas[i],
                "offset": i * max(catalog_size // count, 1),
                "expect": expect,
            }
            self.pipes[i].send(("run", options))
        results = [self.pipes[i].recv() for i in active]
        for result in results:
            if "exception" in result:
                raise RuntimeError(f"load generator failed: {result['exception']}")
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        for result in results:
            samples = array("d")
            samples.frombytes(result["latencies"])
            latencies.extend(samples)
            statuses.update(result["statuses"])
        seconds = max(r["elapsed"] for r in results)
        completed = sum(r["completed"] for r in results)
        return LoadResult(
            completed=completed,
            errors=sum(r["errors"] for r in results),
            statuses=dict(statuses),
            seconds=seconds,
            rps=completed / seconds if seconds else 0.0,
            latencies=latencies,
            client_cpu=sum(r["client_cpu"] for r in results),
        )

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for process in self.workers:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()

    def __enter__(self) -> LoadGenerator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
