"""Teams conversation references and Teams user ids, kept for proactive messages (nudges)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Staff


async def remember_conversation(
    session: AsyncSession,
    staff_id: int,
    reference: dict[str, Any],
    teams_user_id: str | None,
) -> bool:
    """Store (or refresh) the reference to reach ``staff_id`` in this conversation.

    ``reference`` is a serialised Bot Framework ConversationReference. Also records the member
    of staff's Teams user id (29:...), needed to open a 1:1 chat and for card refresh. Returns
    True when anything was written.
    """
    conversation = reference.get("conversation") or {}
    conversation_id = str(conversation.get("id") or "")
    if not conversation_id:
        return False
    wrote = False
    if teams_user_id:
        result = await session.execute(
            update(Staff)
            .where(Staff.id == staff_id)
            .where((Staff.teams_user_id.is_(None)) | (Staff.teams_user_id != teams_user_id))
            .values(teams_user_id=teams_user_id)
        )
        wrote = bool(result.rowcount)  # type: ignore[attr-defined]
    row = await session.scalar(
        select(ConversationRef).where(
            ConversationRef.staff_id == staff_id,
            ConversationRef.conversation_id == conversation_id,
        )
    )
    serialised = json.dumps(reference, sort_keys=True)
    fields = {
        "conversation_type": conversation.get("conversationType"),
        "service_url": str(reference.get("serviceUrl") or ""),
        "channel_id": str(reference.get("channelId") or ""),
        "tenant_id": conversation.get("tenantId"),
        "reference_json": serialised,
        "unreachable_since": None,
    }
    if not _fits({"conversation_id": conversation_id, **fields}):
        # Longer than any Teams id or URL: not a conversation the bot could reach later, and
        # PostgreSQL would refuse the row (and with it the turn). The turn goes on without it.
        return wrote
    if row is None:
        session.add(ConversationRef(staff_id=staff_id, conversation_id=conversation_id, **fields))
        return True
    if row.reference_json != serialised or row.unreachable_since is not None:
        for key, value in fields.items():
            setattr(row, key, value)
        return True
    return wrote


_COLUMNS = ConversationRef.__table__.c


def _fits(values: dict[str, Any]) -> bool:
    """Each value fits its column (String(n) columns only; the others are unbounded)."""
    for name, value in values.items():
        length = getattr(_COLUMNS[name].type, "length", None)
        if isinstance(value, str) and length is not None and len(value) > length:
            return False
    return True


async def learn_teams_user_ids(
    session: AsyncSession, members: list[tuple[str | None, str | None, str]]
) -> int:
    """Record Teams user ids (29:...) from a roster: ``(aad_object_id, email, teams_user_id)``.

    Matched to staff on the AAD object id, else the e-mail/UPN (domain.md section 5): a member
    whose AAD id the store does not hold yet (a people file without that column) is still found
    by their e-mail, and their AAD id is learnt too when their record has none, so the next turn
    identifies them at once. A proactive 1:1 needs the Teams user id (one created with the AAD id
    is accepted, then fails with UserNotFound), and people who have never written to the bot are
    known only through the rosters of chats it is in. Returns how many staff records changed.
    """
    changed = 0
    for aad, email, teams_id in members:
        if not teams_id:
            continue
        staff = None
        if aad:
            staff = await session.scalar(select(Staff).where(Staff.aad_object_id == aad))
        if staff is None and email:
            staff = await session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
            if staff is not None and aad and staff.aad_object_id is None:
                staff.aad_object_id = aad
                if staff.teams_user_id == teams_id:
                    changed += 1
        if staff is not None and staff.teams_user_id != teams_id:
            staff.teams_user_id = teams_id
            changed += 1
    await session.flush()
    return changed
