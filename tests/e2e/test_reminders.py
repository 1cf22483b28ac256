"""Reminders end to end: the scheduler's tick, the real dispatcher, the fake Bot Connector, and
the IRO escalating from the reminder with one click, over HTTP as Teams sends it.

Uses the seeded demo world of ``test_ir_cards.py`` (today Thursday 26 November 2026; every
Playground user has a 1:1 with the bot). The demo has a Stage 1 IR raised by Alex about one of
Megan's children seven working days ago, still waiting on Adele: due Tuesday 24 November.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from bot.app import ADAPTER_KEY
from bot.workers import dispatcher as dispatcher_module
from bot.workers.scheduler import Scheduler
from cards.ir_card import ir_card
from services.ir_actions import Input
from services.ir_cards import IrCardHooks
from storage.engine import session_factory
from tests.e2e.test_ir_cards import (  # noqa: F401  (world is a fixture)
    ADELE_T,
    ALEX_T,
    RULES,
    TODAY,
    World,
    answered_card,
    card_of,
    data_of,
    verbs,
    world,
)

NINE = datetime.combine(TODAY, time(9), tzinfo=ZoneInfo("Europe/London"))


async def test_an_overdue_stage_reminds_the_manager_and_the_iro_escalates_in_one_click(
    world: World,  # noqa: F811
) -> None:
    report = await Scheduler(session_factory(world.engine), RULES).tick(NINE)
    assert report.failed == 0 and report.failed_jobs == []
    hooks = IrCardHooks(RULES, today=lambda: TODAY, render=ir_card)
    dispatcher = dispatcher_module.Dispatcher(
        world.app.app[ADAPTER_KEY], session_factory(world.engine),
        hooks=dispatcher_module.DispatchHooks(prepare=hooks.prepare, on_sent=hooks.on_sent),
        clock=lambda: NINE.astimezone(UTC),  # the reminders are due from the tick's time
    )  # fmt: skip
    await dispatcher.run_until_idle(timeout=30)
    sent = [c for c in world.connector.calls if c.operation in ("send", "reply") and card_of(c)]

    def headline(call) -> str:
        # The reminder's text is the card's first line (one message, so it can be edited).
        first = card_of(call)["body"][0]
        assert first["type"] == "TextBlock" and call.text is None
        return first["text"]

    def reminders_to(who: str, words: str) -> list:
        return [c for c in sent if c.conversation_id == world.conversation_of(who)
                and words in headline(c)]  # fmt: skip

    # Adele, the team manager: the reminder as text, over the IR card with her buttons.
    [to_adele] = reminders_to(ADELE_T, "is now overdue by")
    assert verbs(card_of(to_adele)) == {"ir.respond", "ir.decline"}
    assert "Rule IR-STAGE" in headline(to_adele)
    assert "Tuesday 24 November 2026" in headline(to_adele)
    assert "Adele" not in to_adele.body.get("summary", "")

    # Alex, the IRO: offered escalation; one click on Escalate (with the stage and a reason).
    [offer] = reminders_to(ALEX_T, "has not responded")
    card = card_of(offer)
    assert "ir.escalate" in verbs(card)
    data = data_of(card, "ir.escalate")
    reference = data["ir"]
    before = await world.ir_row(reference)
    answered_card(
        await world.press(
            ALEX_T,
            "ir.escalate",
            {**data, Input.TO_STAGE: "2", Input.ESCALATE_REASON: "No answer after the reminder."},
        )
    )
    after = await world.ir_row(reference)
    assert (after.current_stage, after.version) == ("2", before.version + 1)

    # Later the same day: nothing new. Stage 2 has just begun (its heads-up comes in three
    # working days), and every other reminder is already in the outbox.
    again = await Scheduler(session_factory(world.engine), RULES).tick(NINE.replace(hour=15))
    assert again.total == 0 and again.failed == 0
