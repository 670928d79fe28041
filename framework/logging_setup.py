"""The ``framework`` logger and its one console handler. A handler is installed only when a
run or the CLI needs one and the application configured none: never at import."""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

LOGGER_NAME = "framework"


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


class ConsoleHandler(logging.StreamHandler):
    """Plain lines on whatever ``sys.stdout`` is at each record, so notebooks and tests that
    swap stdout after the first run still see them. A stream set explicitly (the progress
    display redirects handlers while it draws) is used until it is reset."""

    def __init__(self) -> None:
        super().__init__()
        self._stream: Any = None
        self.setFormatter(logging.Formatter("%(message)s"))

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return self._stream if self._stream is not None else sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        self._stream = None if value is None or value is sys.stdout else value


def install_console_handler() -> Callable[[], None] | None:
    """Print run messages as plain lines unless the application set up logging itself.

    Returns a function that removes the handler again (and restores the level), or None
    when nothing was installed."""
    logger = get_logger()
    if logger.handlers or logging.getLogger().handlers:
        return None
    handler = ConsoleHandler()
    handler._framework_default = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    level = logger.level
    if level == logging.NOTSET:
        logger.setLevel(logging.INFO)

    def remove() -> None:
        logger.removeHandler(handler)
        logger.setLevel(level)

    return remove


def ensure_console_handler() -> logging.Logger:
    """The ``framework`` logger, with the console handler if nothing else handles it (a run
    keeps it installed for the rest of the process, as a script's output expects)."""
    install_console_handler()
    return get_logger()
