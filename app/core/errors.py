"""The one error type the core raises for input it cannot work with."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InputError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """What is wrong with an input, in words a user can act on.

    ``code`` is short and stable (for scripts); ``message`` never quotes the
    token's or key's bytes; ``segment`` names where: ``header``, ``payload``,
    ``signature``, ``token``, ``key``, ``secret_encoding``...
    """

    code: str
    message: str
    segment: str | None = None
    too_large: bool = False
    missing: bool = False  # the named thing (a profile...) does not exist
    upstream: bool = False  # another server (an identity provider) failed us

    @property
    def status(self) -> int:
        """The HTTP status this problem maps to: 413, 404, 502 or 400."""
        return 413 if self.too_large else 404 if self.missing else 502 if self.upstream else 400

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "segment": self.segment}


class InputError(Exception):
    """Raised by the core when an input is malformed; carries a Problem."""

    def __init__(
        self,
        code: str,
        message: str,
        segment: str | None = None,
        *,
        too_large: bool = False,
        missing: bool = False,
        upstream: bool = False,
    ):
        self.problem = Problem(code, message, segment, too_large, missing, upstream)
        super().__init__(message)

    @classmethod
    def of(cls, problem: Problem) -> InputError:
        """Raise a problem that a result carried as a value (a key that could not be read)."""
        return cls(
            problem.code,
            problem.message,
            problem.segment,
            too_large=problem.too_large,
            missing=problem.missing,
            upstream=problem.upstream,
        )
