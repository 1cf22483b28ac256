"""CPU per call of reading an inbound activity and writing a reply body, msrest against
``bot/model_json.py`` (bot/adapter.py, items 6 and 8).

Run: `.venv/bin/python -m benchmarks.model_json_bench [--n 2000] [--repeat 5]`

Every figure is microseconds of this thread's CPU (``time.thread_time``) per call, the best of
``--repeat`` runs of ``--n`` calls, so a busy machine inflates them less than wall time would.

- read: the message the HTTP benchmarks send (``benchmarks/over_http.teams_activity``), and one
  as Teams sends it with client-info and mention entities; ``msrest`` is
  ``Activity().deserialize``, ``model_json`` is ``read_activity``, ``parse_activity`` the
  adapter's whole check (its raw-JSON checks included).
- write: a "next review" card reply, the help card and a text reply, as botbuilder hands them
  to the connector; ``msrest`` is a stock ``Serializer.body``, ``item 6`` the direct
  ``_serialize`` the adapter used before ``ModelWriter``, ``model_json`` is
  ``ModelBodySerializer.body`` now; and a card action's answer (an
  ``AdaptiveCardInvokeResponse`` with the help card), ``serializer_helper`` against
  ``serialise_invoke_body``.
- around a reply (``reply_to_activity``'s other msrest work, left as it is): the two
  ``Serializer.url`` path arguments, ``format_url``, building the request, and deserialising
  the ``ResourceResponse``.
"""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from botbuilder.core import TurnContext, serializer_helper
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from benchmarks.over_http import teams_activity
from bot.adapter import ModelBodySerializer, parse_activity, serialise_invoke_body
from bot.handler import card_invoke_response, reply_activity
from bot.model_json import read_activity
from cards.common import help_card
from cards.due import next_review_card
from domain.ports import ChildSummary
from domain.reviews import review_schedule
from domain.rules import load_rules

SERVICE_URL = "https://smba.example/uk/"


def per_call(fn: Callable[[], object], n: int, repeat: int) -> float:
    """Microseconds of thread CPU per call: the best of ``repeat`` runs of ``n`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, time.thread_time() - start)
    return best / n * 1e6


def per_call_options(description: str | None) -> tuple[int, int]:
    """``--n`` (calls per run) and ``--repeat`` (runs, the best kept) from the command line."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    return args.n, args.repeat


def teams_message() -> dict[str, Any]:
    body = teams_activity(SERVICE_URL, 1, "a:1conv", "when is Zoë's next review?")
    body["localTimestamp"] = "2026-11-26T09:30:01.123+00:00"
    body["localTimezone"] = "Europe/London"
    body["entities"] = [
        {"type": "clientInfo", "locale": "en-GB", "country": "GB", "platform": "Web",
         "timezone": "Europe/London"},
        {"type": "mention", "text": "<at>iro-bot</at>",
         "mentioned": {"id": "28:bot", "name": "iro-bot"}},
    ]  # fmt: skip
    return body


def as_sent(reply: Activity, inbound: Activity) -> Activity:
    """The reply as botbuilder hands it to the connector client."""
    reply = TurnContext.apply_conversation_reference(
        copy.deepcopy(reply), TurnContext.get_conversation_reference(inbound)
    )
    reply.reply_to_id = inbound.id
    return reply


def main() -> None:
    n, repeat = per_call_options(__doc__)

    print("read (µs per call)            msrest  model_json  parse_activity")
    bodies = {
        "benchmark message": teams_activity(SERVICE_URL, 1, "a:1conv", "next review for Zoe"),
        "Teams message + entities": teams_message(),
    }
    for name, body in bodies.items():
        assert read_activity(body) == Activity().deserialize(body)
        stock = per_call(lambda body=body: Activity().deserialize(body), n, repeat)
        fast = per_call(lambda body=body: read_activity(body), n, repeat)
        whole = per_call(lambda body=body: parse_activity(body), n, repeat)
        print(f"  {name:26} {stock:8.1f} {fast:11.1f} {whole:15.1f}")

    rules = load_rules()
    child = ChildSummary(7, "C0000007", "Zoë", "O'Brien-Ní Bhriain", date(2015, 1, 2),
                         "Children in Care", date(2024, 3, 1), date(2026, 12, 3),
                         date(2026, 12, 3), "CIC-3", 4, 2, "Alex Wilber", None, None, 3,
                         "Megan Bowen")  # fmt: skip
    due = review_schedule(date(2024, 3, 1), [], rules, []).next_due
    inbound = read_activity(bodies["benchmark message"])
    replies = {
        "next review card": as_sent(
            reply_activity(next_review_card(child, due, date(2026, 11, 26))), inbound
        ),
        "help card": as_sent(reply_activity(help_card()), inbound),
        "text": as_sent(reply_activity(text="You're welcome."), inbound),
    }
    client = ConnectorClient(MicrosoftAppCredentials.empty(), SERVICE_URL)
    stock_serializer = client._serialize
    ours = ModelBodySerializer(stock_serializer.dependencies)
    print("write (µs per call)           msrest      item 6  model_json")
    for name, reply in replies.items():
        assert ours.body(reply, "Activity") == stock_serializer.body(reply, "Activity")
        stock = per_call(lambda reply=reply: stock_serializer.body(reply, "Activity"), n, repeat)
        before = per_call(lambda reply=reply: ours._serialize(reply, "Activity"), n, repeat)
        fast = per_call(lambda reply=reply: ours.body(reply, "Activity"), n, repeat)
        print(f"  {name:26} {stock:8.1f} {before:11.1f} {fast:11.1f}")

    invoke = card_invoke_response(help_card()).body
    assert serialise_invoke_body(invoke) == serializer_helper(invoke)
    stock = per_call(lambda: serializer_helper(invoke), n, repeat)
    fast = per_call(lambda: serialise_invoke_body(invoke), n, repeat)
    print(f"  {'card action answer':26} {stock:8.1f} {'':>11} {fast:11.1f}")

    print("around a reply, msrest's own (µs per call)")
    core = client.conversations._client
    url = "/v3/conversations/{conversationId}/activities/{activityId}"
    deserialize = client.conversations._deserialize
    around = {
        "2 x Serializer.url": lambda: (
            ours.url("conversation_id", "a:1conv", "str"),
            ours.url("activity_id", "1700000000001", "str"),
        ),
        "format_url": lambda: core.format_url(url, conversationId="a%3A1", activityId="17"),
        "post (build the request)": lambda: core.post(
            SERVICE_URL + "v3/conversations/a/activities/1",
            {},
            {"Accept": "application/json"},
            {"type": "message"},
        ),
        "ResourceResponse": lambda: deserialize("ResourceResponse", {"id": "1700000000002"}),
    }
    for name, fn in around.items():
        print(f"  {name:26} {per_call(fn, n, repeat):8.1f}")


if __name__ == "__main__":
    main()
