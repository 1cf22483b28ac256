"""The IR card: which buttons each viewer gets, what the buttons carry, and the refresh.

Pure: a hand-built ``IrCardView`` and ``CardRights`` in, a card dict out. Who may act is decided
by ``domain.permissions.card_rights``, tested here on plain values too.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest

from cards.elements import card_to_text
from cards.ir_card import GOOD, ir_card, notice_card
from domain.issues_resolution import IRStatus
from domain.permissions import CardRights, IrParties, card_rights
from domain.ports import StaffMember
from services.ir_cards import IrCardView, StageLine

TODAY = date(2026, 11, 26)  # Thursday
DUE = date(2026, 12, 3)

ADELE = StaffMember(3, "adelev@example.com", "Adele Vance", "team_manager")
DEPUTY = StaffMember(9, "deputy@example.com", "Dee Puty", "team_manager")
ALEX = StaffMember(1, "alexw@example.com", "Alex Wilber", "iro")
QA = StaffMember(7, "qa@example.com", "Quinn Ashworth", "qa_manager")
MEGAN = StaffMember(2, "meganb@example.com", "Megan Bowen", "social_worker")
OTHER_IRO = StaffMember(8, "other@example.com", "Other Iro", "iro")


def stage_line(**changes: Any) -> StageLine:
    line = StageLine(
        stage_key="1", stage_name="Stage 1", owner_title="Team manager", owner_name="Adele Vance",
        entered_on=TODAY, response_due=DUE, escalation_reason=None, response=None,
        target_date=None, declined_reason=None, responded_on=None, responded_by_name=None,
        left_on=None,
    )  # fmt: skip
    return dataclasses.replace(line, **changes)


def view(**changes: Any) -> IrCardView:
    base = IrCardView(
        reference="IR-2026-0042", version=3, today=TODAY,
        status=IRStatus.OPEN_AWAITING_RESPONSE, child_name="Amelia Smith", child_id="DEMO-0001",
        reasons=("reports not available in time",), description="Reports were late.",
        iro_name="Alex Wilber", raised_on=TODAY, stage_key="1", stage_name="Stage 1",
        owner_title="Team manager", owner_name="Adele Vance", response_due=DUE,
        response_overdue=False, formal_due=date(2026, 12, 24), history=(stage_line(),),
        outcome=None, resolved_on=None, resolved_at_stage_name=None, cafcass_referred_on=None,
        higher_stages=(("2", "Stage 2 (Service manager)"), ("3", "Stage 3 (Service director)"),
                       ("4", "Stage 4 (Director)")),
        can_refer=True, refresh_user_ids=("29:1adele", "29:1alex"),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def responded_view(**changes: Any) -> IrCardView:
    line = stage_line(response="Reports will be shared on time.", responded_on=TODAY,
                      responded_by_name="Adele Vance", target_date=date(2026, 12, 10))  # fmt: skip
    return view(status=IRStatus.RESPONDED, response_due=None, history=(line,), **changes)


def executes(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Action.Execute on the card (inside show-cards too), refresh excluded."""
    found: list[dict[str, Any]] = []

    def walk(actions: list[dict[str, Any]]) -> None:
        for action in actions:
            if action["type"] == "Action.Execute":
                found.append(action)
            elif action["type"] == "Action.ShowCard":
                walk(action["card"].get("actions", []))

    walk(card.get("actions", []))
    return found


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for action in card.get("actions", []):
        if action["type"] == "Action.ShowCard":
            for element in action["card"]["body"]:
                if element["type"].startswith("Input."):
                    found[element["id"]] = element
    return found


def verbs(card: dict[str, Any]) -> set[str]:
    return {action["verb"] for action in executes(card)}


# -- buttons per viewer --------------------------------------------------------------------------


def test_the_stage_owner_can_agree_with_a_response_and_target_date_or_decline():
    card = ir_card(view(), CardRights(may_answer=True))
    assert verbs(card) == {"ir.respond", "ir.decline"}
    fields = inputs(card)
    assert fields["response"]["type"] == "Input.Text" and fields["response"]["isRequired"]
    assert fields["target_date"]["type"] == "Input.Date"
    assert not fields["target_date"].get("isRequired")
    assert fields["target_date"]["min"] == "2026-11-26"
    assert fields["decline_reason"]["isRequired"]
    assert "Options: Agree and respond | Decline" in card_to_text(card)


def test_the_iro_can_resolve_escalate_to_any_higher_stage_or_refer_once_answered():
    card = ir_card(responded_view(), CardRights(may_direct=True))
    assert verbs(card) == {"ir.resolve", "ir.escalate", "ir.refer"}
    choices = inputs(card)["to_stage"]["choices"]
    assert [c["value"] for c in choices] == ["2", "3", "4"]
    assert inputs(card)["to_stage"]["value"] == "2"  # the next stage, unless chosen otherwise
    assert inputs(card)["escalate_reason"]["isRequired"]
    assert inputs(card)["outcome"]["isRequired"]


def test_at_the_top_stage_or_after_a_referral_those_buttons_are_gone():
    card = ir_card(responded_view(higher_stages=(), can_refer=False), CardRights(may_direct=True))
    assert verbs(card) == {"ir.resolve"}


def test_everyone_else_sees_the_card_without_buttons():
    card = ir_card(view(), CardRights())
    assert "actions" not in card
    text = card_to_text(card)
    assert "Amelia Smith (DEMO-0001)" in text
    assert "Waiting for Adele Vance (Team manager) to respond by Thursday 3 December 2026." in text
    assert "Response due: Thursday 3 December 2026" in text
    assert "Options" not in text


def test_every_button_carries_the_reference_and_the_version_it_was_rendered_at():
    both = CardRights(may_answer=True, may_direct=True)
    for action in executes(ir_card(view(), both)) + executes(ir_card(responded_view(), both)):
        assert action["data"] == {"ir": "IR-2026-0042", "version": 3}


# -- refresh -----------------------------------------------------------------------------------


def test_an_open_ir_refreshes_for_whoever_may_act():
    card = ir_card(view(), CardRights())
    refresh = card["refresh"]
    assert refresh["action"]["type"] == "Action.Execute"
    assert refresh["action"]["verb"] == "refresh"
    assert refresh["action"]["data"] == {"ir": "IR-2026-0042", "version": 3}
    assert refresh["userIds"] == ["29:1adele", "29:1alex"]
    assert card["version"] == "1.5"  # Universal Actions need 1.5


def test_nobody_known_to_teams_means_manual_refresh_not_everyone():
    # An empty list: Teams offers "Refresh card" by hand. Leaving userIds out would refresh
    # for every member of a group chat instead.
    assert ir_card(view(refresh_user_ids=()), CardRights())["refresh"]["userIds"] == []


def test_a_resolved_ir_has_no_refresh_and_no_buttons_for_anyone():
    resolved_line = stage_line(responded_on=TODAY, response="Done.", left_on=TODAY,
                               responded_by_name="Adele Vance")  # fmt: skip
    resolved = view(status=IRStatus.RESOLVED, resolved_on=TODAY, resolved_at_stage_name="Stage 1",
                    outcome="Reports now tracked.", response_due=None, formal_due=None,
                    history=(resolved_line,), refresh_user_ids=())  # fmt: skip
    card = ir_card(resolved, CardRights(may_answer=True, may_direct=True))
    assert "refresh" not in card
    assert "actions" not in card
    text = card_to_text(card)
    assert "Resolved on Thursday 26 November 2026 at Stage 1." in text
    assert "Reports now tracked." in text


# -- what the card says ---------------------------------------------------------------------------


def test_the_history_shows_each_stage_its_owner_and_answer():
    first = stage_line(responded_on=TODAY, response="Will share reports.", left_on=DUE,
                       responded_by_name="Adele Vance", target_date=date(2026, 12, 1))  # fmt: skip
    third = stage_line(stage_key="3", stage_name="Stage 3", owner_title="Service director",
                       owner_name="Patti Fernandez", entered_on=DUE,
                       response_due=date(2026, 12, 10),
                       escalation_reason="The reports are still late.")  # fmt: skip
    text = card_to_text(ir_card(view(history=(first, third), stage_name="Stage 3"), CardRights()))
    assert "Stage 1, from 26 November 2026: Adele Vance (Team manager)" in text
    assert "Agreed by Adele Vance on 26 November 2026: Will share reports." in text
    assert "Target date: Tuesday 1 December 2026" in text
    assert "Stage 3, from 3 December 2026: Patti Fernandez (Service director)" in text
    assert "Escalated because: The reports are still late." in text
    assert "Response due Thursday 10 December 2026" in text


def test_an_overdue_response_says_so():
    text = card_to_text(ir_card(view(response_overdue=True), CardRights()))
    assert text.splitlines()[1].startswith("Overdue: Waiting for Adele Vance")


def test_a_notice_comes_first():
    card = ir_card(view(), CardRights(), ("Your response is recorded.", GOOD))
    assert card["body"][0]["text"] == "Your response is recorded."
    assert card["body"][0]["color"] == "Good"
    assert notice_card("No.")["body"][0]["text"] == "No."


# -- who gets which buttons ------------------------------------------------------------------------


def parties(status: IRStatus = IRStatus.OPEN_AWAITING_RESPONSE, overdue: bool = False) -> IrParties:
    return IrParties(raised_by_id=ALEX.id, owner_id=ADELE.id, owner_delegate_id=DEPUTY.id,
                     status=status, response_overdue=overdue, social_worker_id=MEGAN.id,
                     owner_ids=(ADELE.id,))  # fmt: skip


@pytest.mark.parametrize(
    ("status", "overdue", "who", "expected"),
    [
        (IRStatus.OPEN_AWAITING_RESPONSE, False, ADELE, CardRights(may_answer=True)),
        (IRStatus.OPEN_AWAITING_RESPONSE, False, DEPUTY, CardRights(may_answer=True)),
        (IRStatus.OPEN_AWAITING_RESPONSE, False, ALEX, CardRights()),
        (IRStatus.OPEN_AWAITING_RESPONSE, True, ALEX, CardRights(may_direct=True)),
        (IRStatus.RESPONDED, False, ALEX, CardRights(may_direct=True)),
        (IRStatus.RESPONDED, False, QA, CardRights(may_direct=True)),
        (IRStatus.RESPONDED, False, ADELE, CardRights()),
        (IRStatus.RESPONDED, False, OTHER_IRO, CardRights()),
        (IRStatus.OPEN_AWAITING_RESPONSE, False, MEGAN, CardRights()),
        (IRStatus.RESOLVED, False, ALEX, CardRights()),
        (IRStatus.RESOLVED, False, ADELE, CardRights()),
    ],
)
def test_card_rights(status: IRStatus, overdue: bool, who: StaffMember, expected: CardRights):
    assert card_rights(parties(status, overdue), who) == expected


def test_an_inactive_owner_gets_no_buttons():
    gone = dataclasses.replace(ADELE, active=False)
    assert card_rights(parties(), gone) == CardRights()
    assert card_rights(parties(), None) == CardRights()
