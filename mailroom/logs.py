"""Logging set-up for the entry points, and the document id that rides on every line.

Library modules only do ``log = logging.getLogger(__name__)``; :func:`configure` is called once
by the CLI. The id of the document being processed lives in a ``ContextVar`` so that every log
line, from any stage, says which document it is about.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar

current_document: ContextVar[str] = ContextVar("current_document", default="-")


@contextlib.contextmanager
def document_context(document_id: str) -> Iterator[None]:
    token = current_document.set(document_id)
    try:
        yield
    finally:
        current_document.reset(token)


class _DocumentIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.document_id = current_document.get()
        return True


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "document_id": getattr(record, "document_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure(level: str = "INFO", *, json_lines: bool = False) -> None:
    """Send log lines to stderr (stdout is for records), each with its document id."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_DocumentIdFilter())
    if json_lines:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(document_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
