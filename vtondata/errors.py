"""Errors that stop a run before or outside per-sample processing.

Per-sample problems never raise out of a stage runner; they become
:class:`vtondata.sample.Rejection` values. These exceptions are for things a
user must fix (a recipe typo, missing weights, a resume conflict); the CLI maps
each to its own exit code.
"""


class VtonDataError(Exception):
    """Base class; the CLI prints the message without a traceback."""

    exit_code = 1


class RecipeError(VtonDataError):
    """A recipe file or override does not validate."""

    exit_code = 2


class InputError(VtonDataError):
    """The raw folder or another input path is unusable as a whole."""

    exit_code = 3


class WeightsNotFound(VtonDataError):
    """A model checkpoint is missing or does not match its expected hash."""

    exit_code = 4


class BackendUnavailable(VtonDataError):
    """A backend's Python package is not installed or cannot run here."""

    exit_code = 5


class ResumeMismatch(VtonDataError):
    """An output folder was built with another recipe or input set."""

    exit_code = 6


class OutputError(VtonDataError):
    """The output folder cannot be written: disk full, read-only, or in use by another build."""

    exit_code = 7


def caused_by_interrupt(error: BaseException) -> bool:
    """Whether ``error`` is Ctrl-C, also when a library turned it into another error.

    An extension module interrupted while it is imported raises
    ``ImportError`` from the ``KeyboardInterrupt``; the CLI must still say
    "interrupted", not print a traceback.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class VersionDrift(VtonDataError):
    """vtondata, a backend package or a checkpoint differs from what a dataset recorded."""

    exit_code = 4
