"""How the process logs: text (the local default) or one JSON object per line, each with the
correlation id of the work it belongs to (a turn, a notification, a scheduler run).

The id lives in a context variable set where that work starts (``correlated``), so every line
logged inside it, by our code or a library's, carries it without being passed along. What is
logged is already free of children's names and free text (bot/app.py says what may be logged);
the JSON form adds no field from a message or a record.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

FORMATS = ("text", "json")
#: The correlation id of the work in progress in this task (None outside any).
CORRELATION: ContextVar[str | None] = ContextVar("iro_correlation", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"


@contextmanager
def correlated(kind: str) -> Iterator[str]:
    """Run the block with a new correlation id, ``<kind>-<12 hex>`` ("turn-3f2a..."); lines
    logged inside carry it."""
    correlation_id = f"{kind}-{uuid.uuid4().hex[:12]}"
    token = CORRELATION.set(correlation_id)
    try:
        yield correlation_id
    finally:
        CORRELATION.reset(token)


class CorrelationFilter(logging.Filter):
    """Puts the current correlation id on every record (``record.correlation_id``; "-" when
    none, for the text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = CORRELATION.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO), level, logger, message, correlation_id, and the
    exception's class when one is logged (never its message: it may quote data)."""

    def format(self, record: logging.LogRecord) -> str:
        correlation = getattr(record, "correlation_id", None) or CORRELATION.get()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": None if correlation in (None, "-") else correlation,
        }
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


def log_handler(log_format: str) -> logging.Handler:
    """A stderr handler in ``log_format`` ("text" or "json"), with correlation ids."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT {log_format!r} is not one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler()
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else
                         logging.Formatter(TEXT_FORMAT))  # fmt: skip
    return handler
