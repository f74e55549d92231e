"""Command line: ``jwtlens serve`` (also bare ``jwtlens`` and ``python -m app``)."""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser
from collections.abc import Sequence

from app import __version__
from app.config import Settings

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(prog="jwtlens", description="A local JWT debugger.")
    parser.add_argument("--version", action="version", version=f"jwtlens {__version__}")
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the debugger (the default command)")
    serve.add_argument(
        "--host",
        default=defaults.host,
        help="address to bind (default %(default)s: loopback, so only this machine can reach it)",
    )
    serve.add_argument("--port", type=int, default=defaults.port, help="port (default %(default)s)")
    serve.add_argument("--open", action="store_true", help="open the page in a browser once serving")
    return parser


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app

    settings = Settings(host=args.host, port=args.port)
    url = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    print(f"jwtlens {__version__}: serving on {url}", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    # access_log off: URLs carry no secrets here, but a quiet log is the safe default.
    uvicorn.run(create_app(settings), host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Bare `jwtlens` (or `jwtlens --port 9000`) means `jwtlens serve ...`.
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help", "--version")):
        args = ["serve", *args]
    return _serve(build_parser().parse_args(args))
