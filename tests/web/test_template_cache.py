"""Compiled templates are kept between starts (compiling them was most of the first page's cost), and a cache
that cannot be used is skipped: never an error, never a stale template."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
from jwtlens.paths import TEMPLATES_DIR
from jwtlens.web.render import template_cache, templates

PAGE_TEMPLATES = ("index.html", "_panes.html", "_debugger.html")


def _environment(cache: jinja2.BytecodeCache | None, loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """A fresh environment, as a new process would build it, counting what it compiles."""
    environment = jinja2.Environment(loader=loader or jinja2.FileSystemLoader(str(TEMPLATES_DIR)), autoescape=True)
    environment.bytecode_cache = cache
    environment.compiled = []  # type: ignore[attr-defined]
    compile_ = environment.compile

    def counting(source: str, name: str | None = None, filename: str | None = None, *args: object) -> object:
        environment.compiled.append(name)  # type: ignore[attr-defined]
        return compile_(source, name, filename, *args)  # type: ignore[arg-type]

    environment.compile = counting  # type: ignore[method-assign,assignment]
    return environment


def test_the_app_keeps_compiled_templates() -> None:
    assert templates.env.bytecode_cache is not None


def test_a_second_start_loads_what_the_first_compiled(tmp_path: Path) -> None:
    first = _environment(template_cache(str(tmp_path)))
    for name in PAGE_TEMPLATES:
        first.get_template(name)
    assert set(PAGE_TEMPLATES) <= set(first.compiled)  # type: ignore[attr-defined]
    assert any(tmp_path.iterdir())

    second = _environment(template_cache(str(tmp_path)))
    for name in PAGE_TEMPLATES:
        second.get_template(name)
    assert second.compiled == []  # type: ignore[attr-defined]


def test_a_changed_template_is_compiled_again(tmp_path: Path) -> None:
    sources = {"page.html": "<p>{{ word }} one</p>"}
    first = _environment(template_cache(str(tmp_path)), jinja2.DictLoader(sources))
    assert first.get_template("page.html").render(word="a") == "<p>a one</p>"

    sources["page.html"] = "<p>{{ word }} two</p>"
    second = _environment(template_cache(str(tmp_path)), jinja2.DictLoader(sources))
    assert second.get_template("page.html").render(word="b") == "<p>b two</p>"
    assert second.compiled == ["page.html"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("damage", ["a file", "missing", "cut mid-code", "cut in the header", "random bytes"])
def test_a_cache_that_cannot_be_used_is_skipped(tmp_path: Path, damage: str) -> None:
    sources = {"page.html": "<p>{{ word }}</p>"}
    directory = tmp_path / "cache"
    if damage == "a file":  # every read and write fails with NotADirectoryError
        directory.write_text("not a directory")
    elif damage != "missing":
        directory.mkdir()
        _environment(template_cache(str(directory)), jinja2.DictLoader(sources)).get_template("page.html")
        entries = list(directory.iterdir())
        assert entries
        for entry in entries:
            data = entry.read_bytes()
            cut = {"cut mid-code": len(data) - 8, "cut in the header": 5}.get(damage)
            entry.write_bytes(data[:cut] if cut is not None else os.urandom(len(data)))
    environment = _environment(template_cache(str(directory)), jinja2.DictLoader(sources))
    assert environment.get_template("page.html").render(word="b") == "<p>b</p>"
    assert environment.compiled == ["page.html"]  # type: ignore[attr-defined]


def test_a_temp_dir_another_user_could_write_to_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Jinja refuses its per-user directory unless it is a real 0700 directory owned by the user: a symlink
    # planted there (it could point anywhere) stands for one it did not create.
    if not hasattr(os, "getuid"):
        pytest.skip("the per-user directory check is POSIX")
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o777)
    (tmp_path / f"_jinja2-cache-{os.getuid()}").symlink_to(target)
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    assert template_cache() is None
