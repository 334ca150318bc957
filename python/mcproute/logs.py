"""Logging for `mcproute serve`: warnings and errors on stderr as text or one JSON object per
line (`--log-format`), each line of a request carrying that request's id; and the access log.

The request id lives in a context variable set by the observe middleware. aiohttp runs each
request in a task of its own, so tasks the request starts inherit the id and nothing outside
the request sees it.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Literal

import orjson

from mcproute.redact import RedactingFilter

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")
REQUEST_ID: ContextVar[str | None] = ContextVar("mcproute_request_id", default=None)
ACCESS_LOGGER = "mcproute.access"


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request it was logged in (or None)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return line if request_id is None else f"{line} [request_id={request_id}]"


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id"[, "exception"]}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_text:  # as RedactingFilter left it
            entry["exception"] = record.exc_text
        elif record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(access_log: bool, log_format: LogFormat = "text") -> None:
    """Warnings and errors to stderr in `log_format`; the access log (one JSON object per line
    in either format) too if asked."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter())  # no credential leaves in a log line
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in ("mcproute.serve", "mcproute.reload"):  # where it listens, what a reload did
        logging.getLogger(name).setLevel(logging.INFO)
    access = logging.getLogger(ACCESS_LOGGER)
    access.propagate = False
    if access_log:
        lines = logging.StreamHandler(sys.stderr)
        lines.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(lines)
        access.setLevel(logging.INFO)
