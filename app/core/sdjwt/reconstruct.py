"""Putting the disclosed claims back into the payload (RFC 9901 §7.1), every rule checked on the way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..claims import ClaimCheck
from .parse import HASHES, Disclosure, decode_disclosure

__all__ = ["DisclosureRow", "Reconstruction", "reconstruct"]

RowStatus = Literal["disclosed", "unreferenced", "malformed", "duplicate", "rejected"]
#: nesting through disclosures that hold digests of further disclosures stops here (no deep recursion)
_MAX_DEPTH = 64
_SHOWN = 3


@dataclass
class DisclosureRow:
    """A disclosure and what became of it: where its digest sits in the payload, and its status."""

    disclosure: Disclosure
    status: RowStatus = "unreferenced"
    #: where its digest sits, e.g. "$._sd", "$.address._sd", "$.nationalities[1]"
    path: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Reconstruction:
    claims: dict[str, Any] | None
    rows: tuple[DisclosureRow, ...]
    checks: tuple[ClaimCheck, ...]
    #: top-level claim names that came from a disclosure (the rest were always visible)
    disclosed_names: frozenset[str]
    decoys: int
    alg: str | None

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


@dataclass
class _Walk:
    by_digest: dict[str, DisclosureRow]
    seen: set[str] = field(default_factory=set)
    problems: dict[str, list[str]] = field(default_factory=dict)
    decoys: int = 0

    def fail(self, check: str, message: str) -> None:
        self.problems.setdefault(check, []).append(message)

    def digest(self, digest: Any, path: str) -> DisclosureRow | None:
        if not isinstance(digest, str):
            self.fail("structure", f"{path} holds a digest that is not a string")
            return None
        if digest in self.seen:
            self.fail("digests", f"a digest appears twice in the payload (again at {path})")
            return None
        self.seen.add(digest)
        row = self.by_digest.get(digest)
        if row is None:
            self.decoys += 1
            return None
        row.path, row.status = path, "disclosed"
        return row

    def value(self, value: Any, path: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            self.fail("structure", f"{path} nests more than {_MAX_DEPTH} levels")
            return None
        if isinstance(value, dict):
            return self.object(value, path, depth)
        if isinstance(value, list):
            return self.array(value, path, depth)
        return value

    def object(self, obj: dict[str, Any], path: str, depth: int) -> dict[str, Any]:
        out = {k: self.value(v, f"{path}.{k}", depth + 1) for k, v in obj.items() if k != "_sd"}
        digests = obj.get("_sd", [])
        if not isinstance(digests, list):
            self.fail("structure", f"{path}._sd is not an array")
            return out
        for digest in digests:
            row = self.digest(digest, f"{path}._sd")
            if row is None:
                continue
            name = row.disclosure.name
            if name is None:
                row.status, row.message = "rejected", "an array element's disclosure referenced from an _sd array"
                self.fail(
                    "structure", f"disclosure {row.disclosure.index + 1} is an array element but sits in {path}._sd"
                )
            elif name in ("_sd", "..."):
                row.status, row.message = "rejected", f"the claim name {name!r} is reserved"
                self.fail("claim names", f"disclosure {row.disclosure.index + 1} names the reserved claim {name!r}")
            elif name in out:
                row.status, row.message = "rejected", f"{name!r} is already a claim at {path}"
                self.fail(
                    "claim names", f"disclosure {row.disclosure.index + 1} names {name!r}, already a claim at {path}"
                )
            else:
                out[name] = self.value(row.disclosure.value, f"{path}.{name}", depth + 1)
        return out

    def array(self, items: list[Any], path: str, depth: int) -> list[Any]:
        out: list[Any] = []
        for position, item in enumerate(items):
            where = f"{path}[{position}]"
            if not (isinstance(item, dict) and "..." in item):
                out.append(self.value(item, where, depth + 1))
                continue
            if len(item) != 1:
                self.fail("structure", f"{where} holds '...' beside other members")
                continue
            row = self.digest(item["..."], where)
            if row is None:
                continue
            if row.disclosure.name is not None:
                row.status, row.message = "rejected", "a claim's disclosure referenced as an array element"
                self.fail("structure", f"disclosure {row.disclosure.index + 1} names a claim but sits in {where}")
                continue
            out.append(self.value(row.disclosure.value, where, depth + 1))
        return out


def _alg_check(payload: dict[str, Any]) -> tuple[str | None, ClaimCheck]:
    alg = payload.get("_sd_alg", "sha-256")
    if not isinstance(alg, str):
        return None, ClaimCheck("_sd_alg", "fail", "_sd_alg is not a string")
    if alg not in HASHES:
        return None, ClaimCheck("_sd_alg", "fail", f"_sd_alg {alg[:32]!r} is not a known hash ({', '.join(HASHES)})")
    default = " (the default)" if "_sd_alg" not in payload else ""
    return alg, ClaimCheck("_sd_alg", "pass", f"digests use {alg}{default}")


def _row(name: str, problems: list[str], passed: str) -> ClaimCheck:
    if not problems:
        return ClaimCheck(name, "pass", passed)
    more = f" (and {len(problems) - _SHOWN} more)" if len(problems) > _SHOWN else ""
    return ClaimCheck(name, "fail", "; ".join(problems[:_SHOWN]) + more)


def reconstruct(payload: dict[str, Any] | None, disclosures: tuple[str, ...]) -> Reconstruction:
    """The claims with every disclosure put back, and one check row per RFC 9901 rule."""
    if payload is None:
        fail = ClaimCheck("payload", "fail", "the issuer-signed JWT's payload is not a JSON object")
        rows = tuple(DisclosureRow(decode_disclosure(i, d, None), "malformed") for i, d in enumerate(disclosures))
        return Reconstruction(None, rows, (fail,), frozenset(), 0, None)
    alg, alg_check = _alg_check(payload)
    rows = tuple(DisclosureRow(decode_disclosure(i, d, alg)) for i, d in enumerate(disclosures))
    walk = _Walk({})
    for row in rows:
        if row.disclosure.problem is not None:
            row.status, row.message = "malformed", row.disclosure.problem
            walk.fail("disclosures", row.disclosure.problem)
        elif alg is None:
            row.status, row.message = "rejected", "no digest: _sd_alg is not usable"
        elif row.disclosure.digest in walk.by_digest:
            row.status, row.message = "duplicate", "the same disclosure is presented twice"
            walk.fail("duplicates", f"disclosure {row.disclosure.index + 1} repeats an earlier one")
        else:
            walk.by_digest[row.disclosure.digest] = row
    claims = walk.object({k: v for k, v in payload.items() if k != "_sd_alg"}, "$", 0)
    for row in walk.by_digest.values():
        if row.status == "unreferenced":
            row.message = "its digest is nowhere in the payload (changed, or from another SD-JWT)"
            walk.fail("digests", f"disclosure {row.disclosure.index + 1}'s digest is not in the payload")
    disclosed = frozenset(r.disclosure.name for r in rows if r.path == "$._sd" and r.status == "disclosed")
    decoys = f"; {walk.decoys} digest{'s' if walk.decoys != 1 else ''} without a disclosure (decoys or withheld)"
    checks = (
        alg_check,
        _row("disclosures", walk.problems.get("disclosures", []), f"{len(rows)} disclosures, each well formed"),
        _row("duplicates", walk.problems.get("duplicates", []), "no disclosure is presented twice"),
        _row("digests", walk.problems.get("digests", []), "each disclosure's digest is in the payload once" + decoys),
        _row("claim names", walk.problems.get("claim names", []), "no disclosed name clashes or is reserved"),
        _row("structure", walk.problems.get("structure", []), "_sd arrays and '...' entries are well formed"),
    )
    return Reconstruction(claims, rows, checks, disclosed, walk.decoys, alg)  # type: ignore[arg-type]
