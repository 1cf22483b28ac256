"""The process's log lines (``bot/log_format.py``): text or one JSON object a line, each with
the correlation id of the work it belongs to."""

from __future__ import annotations

import json
import logging

import pytest

from bot.app import configure_logging
from bot.log_format import CORRELATION, CorrelationFilter, JsonFormatter, correlated, log_handler


def record(message: str, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    made = logging.LogRecord("bot.handler", logging.INFO, __file__, 1, message, args,
                             (type(exc), exc, None) if exc else None)  # fmt: skip
    CorrelationFilter().filter(made)
    return made


def test_a_json_line_carries_the_correlation_id_of_the_work_it_is_in() -> None:
    with correlated("turn") as correlation_id:
        line = json.loads(JsonFormatter().format(record("Message understood as %s", "HELP")))
    assert correlation_id.startswith("turn-") and len(correlation_id) == len("turn-") + 12
    assert line["correlation_id"] == correlation_id
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO", "bot.handler", "Message understood as HELP")  # fmt: skip
    outside = json.loads(JsonFormatter().format(record("Scheduler stopped")))
    assert outside["correlation_id"] is None and CORRELATION.get() is None


def test_nested_work_has_its_own_id_and_the_outer_one_comes_back() -> None:
    with correlated("scheduler") as outer:
        with correlated("notification") as inner:
            assert CORRELATION.get() == inner != outer
        assert CORRELATION.get() == outer


def test_an_exception_is_logged_by_its_class_never_its_message() -> None:
    line = json.loads(JsonFormatter().format(record("failed", exc=ValueError("Jamie Smith"))))
    assert line["exception"] == "ValueError" and "Jamie" not in json.dumps(line)


def test_text_lines_show_the_id_too_and_an_unknown_format_is_refused() -> None:
    handler = log_handler("text")
    with correlated("turn") as correlation_id:
        made = record("hello")
        assert f"[{correlation_id}]" in handler.format(made)
    with pytest.raises(ValueError, match="LOG_FORMAT 'xml'"):
        log_handler("xml")


def test_configure_logging_writes_json_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("INFO", "json")
        with correlated("turn") as correlation_id:
            logging.getLogger("bot.test").info("one line")
        err = capsys.readouterr().err.strip().splitlines()
        assert json.loads(err[-1])["correlation_id"] == correlation_id
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
