"""Teams user ids learnt from a group chat's roster, so people who never wrote to the bot can be
reached in a 1:1 (one created with the AAD object id fails with UserNotFound)."""

from __future__ import annotations

from sqlalchemy import select

from bot.cli.demo_data import ADELE, ISAIAH, MEGAN
from storage.engine import session_factory
from storage.models import Staff
from tests.e2e.test_conversation import Demo, demo  # noqa: F401  (the seeded-demo fixture)


async def test_the_bot_added_to_a_group_chat_learns_staff_teams_ids(demo: Demo) -> None:  # noqa: F811
    client = demo.client()
    roster = [
        {"id": "29:1adele-roster", "aadObjectId": ADELE.aad_object_id, "name": "Adele Vance"},
        # Matched on e-mail when the roster has no AAD id for someone.
        {"id": "29:1megan-roster", "email": MEGAN.email, "name": "Megan Bowen"},
        # ...and when it has one the store does not hold yet (a people file without that column).
        {"id": "29:1isaiah-roster", "aadObjectId": "11111111-0000-0000-0000-000000000011",
         "userPrincipalName": ISAIAH.email.upper(), "name": "Isaiah Langer"},
        {
            "id": "29:1stranger",
            "aadObjectId": "99999999-0000-0000-0000-000000000000",
            "name": "Not Staff",
        },
    ]
    async with session_factory(demo.engine)() as session, session.begin():
        isaiah = await session.scalar(select(Staff).where(Staff.email == ISAIAH.email))
        assert isaiah is not None
        isaiah.aad_object_id = None  # as a people file without the column leaves it
    client.connector.set_members(roster, conversation_id=client.conversation_id)
    update = client.activity(
        "conversationUpdate",
        membersAdded=[{"id": client.bot_id}],
        conversation={
            "id": client.conversation_id,
            "conversationType": "groupChat",
            "tenantId": "00000000-0000-0000-0000-0000000000aa",
            "isGroup": True,
        },
    )
    posted = await client.post(update)
    assert posted.status in (200, 201, 202)
    async with session_factory(demo.engine)() as session:
        ids = dict((await session.execute(
            select(Staff.email, Staff.teams_user_id).where(
                Staff.email.in_([ADELE.email, MEGAN.email, ISAIAH.email]))
        )).all())  # fmt: skip
        learnt_aad = await session.scalar(
            select(Staff.aad_object_id).where(Staff.email == ISAIAH.email)
        )
    assert ids == {ADELE.email: "29:1adele-roster", MEGAN.email: "29:1megan-roster",
                   ISAIAH.email: "29:1isaiah-roster"}  # fmt: skip
    assert learnt_aad == "11111111-0000-0000-0000-000000000011"


async def test_the_first_message_in_a_group_chat_reads_its_roster(demo: Demo) -> None:  # noqa: F811
    client = demo.client()
    client.connector.set_members(
        [{"id": "29:1adele-group", "aadObjectId": ADELE.aad_object_id, "name": "Adele Vance"}],
        conversation_id=client.conversation_id,
    )
    group = {"id": client.conversation_id, "conversationType": "groupChat", "isGroup": True,
             "tenantId": "00000000-0000-0000-0000-0000000000aa"}  # fmt: skip
    await client.send_activity(client.message("help", conversation=group))
    async with session_factory(demo.engine)() as session:
        teams_id = await session.scalar(
            select(Staff.teams_user_id).where(Staff.email == ADELE.email)
        )
    assert teams_id == "29:1adele-group"
