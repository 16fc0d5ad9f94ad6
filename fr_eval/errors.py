"""The two kinds of failure fr-eval reports, and how the CLI turns them into exit codes.

* :class:`InputError` -- the user gave something fr-eval cannot use (a missing
  file, a bad column, counts that do not add up).  Exit code 2.
* :class:`RunFailed` -- the input was fine but the work could not be done
  (a matcher crashed, the disk is full).  Exit code 1.

Messages are one line: *what* is wrong, *where* (file, row, key) and, where
there is one, *how to fix it*.
"""

from __future__ import annotations


class FrEvalError(Exception):
    """Base class: an error with a one-line message meant for the user."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return " ".join(text.split())


class InputError(FrEvalError):
    """Bad input or bad usage: exit code 2."""

    exit_code = 2


class RunFailed(FrEvalError):
    """The work itself failed: exit code 1."""

    exit_code = 1
