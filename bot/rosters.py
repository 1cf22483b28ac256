"""Learning staff's Teams user ids from the rosters of the chats and teams the bot is in.

Called when the bot is added to a conversation, or someone joins one. Only ids are read; the
roster's names and e-mails are used to match staff and are not stored or logged.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from services.context import Services
from storage.conversations import learn_teams_user_ids

logger = logging.getLogger(__name__)
MAX_PAGES = 50  # 50 pages of (at most) 500 members: far beyond any IRO service's chats


async def learn_from_roster(ctx: TurnContext, services: Services) -> int:
    """Read the conversation's members (paged) and record the Teams ids of known staff."""
    if ctx.activity.channel_id != "msteams":
        return 0
    members: list[tuple[str | None, str | None, str]] = []
    token: str | None = None
    try:
        for _ in range(MAX_PAGES):
            page = await TeamsInfo.get_paged_members(ctx, token)
            for m in page.members or []:
                email = getattr(m, "email", None) or getattr(m, "user_principal_name", None)
                members.append((getattr(m, "aad_object_id", None), email, m.id))
            token = page.continuation_token
            if not token:
                break
    except Exception as exc:  # a roster we cannot read teaches nothing; the turn goes on
        logger.info("Roster not readable (%s)", type(exc).__name__)
        return 0
    async with services.transaction() as session:
        changed = await learn_teams_user_ids(session, members)
    logger.info("Roster read: %d members, %d staff Teams ids learnt", len(members), changed)
    return changed
