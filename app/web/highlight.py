"""The coloured layers drawn under the editors: JSON by token with per-claim marks, a JWT by part.

Each layer holds exactly the editor's text (marks are empty elements), so the textarea above it lines up
character for character. Every scan is one pass of a regex that cannot backtrack: linear in the text.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

__all__ = ["LineMark", "claim_lines", "error_position", "json_layer", "marks_for", "token_layer"]

# One JSON token per match; strings stop at a line end, so an unclosed quote colours one line only.
_TOKEN = re.compile(
    r'(?P<str>"(?:[^"\\\n]|\\.)*+"?)'
    r"|(?P<num>-?\d++(?:\.\d++)?+(?:[eE][+-]?\d++)?+)"
    r"|(?P<lit>true|false|null)"
    r"|(?P<open>[{\[])|(?P<close>[}\]])"
    r"|(?P<punct>[:,])"
    r"|(?P<other>[^\"\-\d{}\[\]:,tfn]++|.)",
    re.DOTALL,
)
_KEPT = re.compile(r"[^\s\"']++")
# Only what claim_lines needs: strings and brackets (everything else is skipped at C speed).
_STRUCTURE = re.compile(r'"(?:[^"\\\n]|\\.)*+"?|[{}\[\]]')
#: text past this many characters is drawn uncoloured (its marks still shown): typing stays fast
HIGHLIGHT_LIMIT = 20_000
_AFTER_KEY = re.compile(r"\s*+:")
_ERROR_AT = re.compile(r"at line (\d+), column (\d+)")
_CLASSES = {"str": "j-str", "num": "j-num", "lit": "j-lit", "open": "j-pun", "close": "j-pun", "punct": "j-pun"}


@dataclass(frozen=True)
class LineMark:
    """A check shown beside one line of an editor: pass, fail, warn, skip or error."""

    line: int  # 0-based
    status: str
    label: str
    message: str


def claim_lines(text: str) -> dict[str, int]:
    """Each top-level member of the JSON object in ``text`` -> the line its name is on (0-based).

    Found by structure (a string followed by a colon one level inside the outer object), not by
    indentation, so any layout of the same JSON finds the same lines.
    """
    found: dict[str, int] = {}
    depth = line = pos = 0
    for match in _STRUCTURE.finditer(text):
        chunk = match.group()
        if chunk in "{[":
            depth += 1
        elif chunk in "}]":
            depth -= 1
        elif depth == 1 and _AFTER_KEY.match(text, match.end()):
            line += text.count("\n", pos, match.start())
            pos = match.start()
            try:
                name = json.loads(chunk)
            except ValueError:
                name = None
            if isinstance(name, str) and name not in found:
                found[name] = line
    return found


def error_position(message: str) -> tuple[int, int] | None:
    """(line, column), both 0-based, from a JSON error message that names them."""
    found = _ERROR_AT.search(message)
    return (int(found.group(1)) - 1, int(found.group(2)) - 1) if found else None


_WORST = ("error", "fail", "warn", "skip", "pass")


def _mark(marks: Sequence[LineMark]) -> str:
    """One mark per line: the worst status shows; the title lists every check on the line."""
    if not marks:
        return ""
    status = min((m.status for m in marks), key=lambda s: _WORST.index(s) if s in _WORST else len(_WORST))
    title = escape("\n".join(f"{m.label}: {m.status}. {m.message}" for m in marks))
    return f'<i class="mark mark-{status}" data-line="{marks[0].line}" title="{title}"></i>'


def json_layer(text: str, marks: Sequence[LineMark] = (), error_at: tuple[int, int] | None = None) -> Markup:
    """``text`` as highlighted HTML: its characters unchanged, marks at the start of their lines."""
    by_line: dict[int, list[LineMark]] = {}
    for mark in marks:
        by_line.setdefault(mark.line, []).append(mark)
    error_offset = None
    if error_at is not None:
        starts = [0, *(m.end() for m in re.finditer("\n", text))]
        if error_at[0] < len(starts):
            error_offset = min(starts[error_at[0]] + error_at[1], len(text))
    cut = len(text) if len(text) <= HIGHLIGHT_LIMIT else text.rfind("\n", 0, HIGHLIGHT_LIMIT) + 1
    out: list[str] = []
    line = 0
    out.append(_mark(by_line.get(0, ())))
    for match in _TOKEN.finditer(text, 0, cut):
        chunk, kind = match.group(), match.lastgroup or "other"
        css = _CLASSES.get(kind)
        if kind == "str" and _AFTER_KEY.match(text, match.end()):
            css = "j-key"
        start = match.start()
        body = str(escape(chunk))
        if error_offset is not None and start <= error_offset < match.end():
            cut_at = 0 if "\n" in chunk else error_offset - start
            out.append(f'{escape(chunk[:cut_at])}<span class="j-err-at"></span>')
            chunk, body, error_offset = chunk[cut_at:], str(escape(chunk[cut_at:])), None
        if "\n" in chunk:
            # whitespace or other text spanning lines: marks go right after each line break
            pieces = chunk.split("\n")
            parts = [str(escape(pieces[0]))]
            for piece in pieces[1:]:
                line += 1
                parts.append("\n" + _mark(by_line.get(line, ())) + str(escape(piece)))
            out.append("".join(parts))
            continue
        out.append(f'<span class="{css}">{body}</span>' if css else body)
    if cut < len(text):
        out.append(_plain_rest(text, cut, line, by_line, error_offset))
    elif error_offset is not None:
        out.append('<span class="j-err-at"></span>')
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def _plain_rest(text: str, cut: int, line: int, by_line: dict[int, list[LineMark]], error_offset: int | None) -> str:
    """The text after ``cut`` (which starts line ``line``) escaped, with its marks and error marker in place."""
    inserts: list[tuple[int, str]] = []
    pos = cut
    for target in sorted(n for n in by_line if n > line):
        while line < target and pos >= 0:
            pos = text.find("\n", pos) + 1 or -1
            line += 1
        if pos < 0:
            break
        inserts.append((pos, _mark(by_line[target])))
    if error_offset is not None:
        inserts.append((max(error_offset, cut), '<span class="j-err-at"></span>'))
    out, done = [], cut
    for at, html in sorted(inserts, key=lambda pair: pair[0]):
        out.append(f"{escape(text[done:at])}{html}")
        done = at
    out.append(str(escape(text[done:])))
    return "".join(out)


def token_layer(text: str, segments: Sequence[str], names: Sequence[str], flagged: Sequence[str] = ()) -> Markup:
    """The pasted text with the token's parts coloured where they stand, whatever surrounds them.

    The token may be broken by spaces, line breaks or quotes (a forgiving paste): it is then looked for in
    the text with those left out, and each part is coloured from its first to its last character.
    """
    token = ".".join(segments)
    if not token:
        return escape(text)
    runs = [(m.start(), m.group()) for m in _KEPT.finditer(text)]
    starts, compact_at, n = [], [], 0
    for begin, run in runs:
        starts.append(begin)
        compact_at.append(n)
        n += len(run)
    at = "".join(run for _, run in runs).find(token)
    if at < 0:
        return escape(text)

    def original(i: int) -> int:  # compact offset -> offset in ``text``
        k = bisect_right(compact_at, i) - 1
        return starts[k] + i - compact_at[k]

    out: list[str] = []
    done = offset = 0
    for index, segment in enumerate(segments):
        if segment:
            first, last = original(at + offset), original(at + offset + len(segment) - 1) + 1
            flag = " flagged" if names[index] in flagged else ""
            css = f"tok-{names[index]}{flag}"
            out.append(f'{escape(text[done:first])}<span class="{css}">{escape(text[first:last])}</span>')
            done = last
        offset += len(segment) + 1
    out.append(str(escape(text[done:])))
    return Markup("".join(out))  # noqa: S704 - every piece of text was escaped above


def marks_for(
    text: str, checks: Mapping[str, tuple[str, str]], rule_claims: Mapping[str, tuple[str, str, str]]
) -> tuple[LineMark, ...]:
    """Marks for the claim checks (name -> status, message) and rules (label -> claim, status, message)."""
    lines = claim_lines(text)
    found = [LineMark(lines[name], status, name, msg) for name, (status, msg) in checks.items() if name in lines]
    for label, (claim, status, msg) in rule_claims.items():
        if claim in lines:
            found.append(LineMark(lines[claim], status, label, msg))
    return tuple(sorted(found, key=lambda m: m.line))
