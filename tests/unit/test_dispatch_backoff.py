"""Retry pacing for the outbox dispatcher (``storage.dispatch_queue``): pure functions."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.workers.dispatcher import DeliveryFailure, DispatchPolicy, classify, report_text
from storage.dispatch_queue import parse_retry_after, retry_delay

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("attempts", range(1, 12))
def test_backoff_doubles_with_jitter_and_is_capped(attempts: int):
    rng = random.Random(attempts)
    step = min(900.0, 10.0 * 2 ** (attempts - 1))
    for _ in range(200):
        delay = retry_delay(attempts, base=10.0, cap=900.0, rng=rng)
        assert step / 2 <= delay <= step  # never sooner than half the step, never past the cap


def test_jitter_spreads_dispatchers_that_failed_together():
    rng = random.Random(1)
    delays = {round(retry_delay(3, base=10.0, cap=900.0, rng=rng), 3) for _ in range(50)}
    assert len(delays) > 40


def test_retry_after_is_a_floor_but_capped():
    assert retry_delay(1, base=10.0, cap=900.0, retry_after=120.0) == 120.0
    assert retry_delay(1, base=10.0, cap=900.0, retry_after=86_400.0) == 900.0
    assert 5.0 <= retry_delay(1, base=10.0, cap=900.0, retry_after=1.0) <= 10.0


def test_retry_after_as_seconds_or_an_http_date():
    assert parse_retry_after("7", now=NOW) == 7.0
    assert parse_retry_after(" 2.5 ", now=NOW) == 2.5
    assert parse_retry_after("Thu, 26 Nov 2026 09:00:30 GMT", now=NOW) == 30.0
    assert parse_retry_after("Thu, 26 Nov 2026 08:00:00 GMT", now=NOW) == 0.0
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_a_timeout_is_retried_and_an_unknown_error_too():
    assert classify(TimeoutError(), now=NOW).action == "retry"
    assert classify(KeyError("x"), now=NOW).action == "retry"
    assert classify(ConnectionResetError(), now=NOW).action == "retry"
    failure = DeliveryFailure("unreachable", "no teams identity", cause="no_teams_identity")
    assert classify(failure, now=NOW) is failure


def test_a_lease_must_outlast_two_sends():
    with pytest.raises(ValueError, match="twice send_timeout"):
        DispatchPolicy(lease_seconds=30, send_timeout=20)
    assert DispatchPolicy().start_margin == 25.0


def test_reports_say_who_why_and_what_to_do():
    text = report_text("Megan Bowen", "not_installed", "IR-2026-0042: response due")
    assert text == (
        "I couldn't deliver a message to Megan Bowen: Teams says the IRO bot isn't installed for "
        "them (or they removed it). Please ask them to add the IRO bot in Teams (Apps, search "
        "for the IRO bot, Add), and contact them another way in the meantime.\n\n"
        "The message was: \u201cIR-2026-0042: response due\u201d"
    )
    assert report_text("Megan Bowen", "gave_up", None, detail="8 attempts; the last: timeout") == (
        "I couldn't deliver a message to Megan Bowen: Teams kept failing to take the message "
        "(8 attempts; the last: timeout). Please contact them another way: I have stopped trying."
    )
