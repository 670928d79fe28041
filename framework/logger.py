"""``get_logger(__name__)``: a logger under ``framework``, as legacy code asks for one.

Records go wherever the ``framework`` logger's go (the run's console lines, see
``framework.logging_setup``); nothing is configured here or at import.
"""

from __future__ import annotations

import logging

from framework.logging_setup import LOGGER_NAME


def get_logger(name: str) -> logging.Logger:
    """The logger ``framework.<name>`` (``name`` itself if it is already under ``framework``)."""
    if name == LOGGER_NAME or name.startswith(LOGGER_NAME + "."):
        return logging.getLogger(name)
    return logging.getLogger(f"{LOGGER_NAME}.{name}")
