"""The container files agree with the README (the image itself cannot be built without a registry here)."""

from __future__ import annotations

import json
import re

from tests.paths import ROOT


def dockerfile_cmd() -> list[str]:
    text = (ROOT / "Dockerfile").read_text()
    (cmd,) = re.findall(r"^CMD (\[.*\])$", text, re.MULTILINE)
    return json.loads(cmd)


def test_the_start_command_is_the_one_the_readme_documents():
    command = " ".join(dockerfile_cmd())
    assert command == "jwtlens serve --host 0.0.0.0 --port 8000"
    assert command in (ROOT / "README.md").read_text()


def test_the_start_command_parses_with_our_cli():
    from jwtlens.cli import build_parser

    args = build_parser().parse_args(dockerfile_cmd()[1:])
    assert (args.command, args.host, args.port, args.no_auth) == ("serve", "0.0.0.0", 8000, False)


def test_image_runs_as_non_root_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE)
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.MULTILINE)


def test_devcontainer_and_compose_are_well_formed():
    devcontainer = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    assert 8000 in devcontainer["forwardPorts"]
    compose = (ROOT / "compose.yaml").read_text()
    assert "JWTLENS_ACCESS_TOKEN" in compose and "JWTLENS_ALLOWED_HOSTS" in compose


def test_the_readme_lists_every_setting():
    from jwtlens.config import Settings

    readme = (ROOT / "README.md").read_text()
    missing = [name for name in Settings.model_fields if f"`JWTLENS_{name.upper()}`" not in readme]
    assert missing == []
