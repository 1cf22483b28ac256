"""Dialog writes made at most once per confirmation, whatever is retried.

A dialog's one write (``IroDialog.save``) and its dialog state are stored in different
transactions: the write commits, then the turn ends and botbuilder saves where the dialog is. A
bot killed between the two restarts with the dialog still at its summary, and the user's "yes"
again would make the write again (a second IR). So each summary shown gets a fresh key, and the
write records that key in its own transaction (``remember``). A confirmation whose key is already
recorded (``already_saved``) writes nothing and says so.

Two confirmations racing with the same key (the same message delivered twice at once) cannot
both commit: the key is the table's primary key, so the second insert fails and its transaction,
write included, rolls back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogSave


class SqlDialogSaves:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def already_saved(self, key: str) -> dict[str, Any] | None:
        """The outcome recorded under ``key``, or None when nothing was saved under it."""
        outcome = await self.session.scalar(
            select(DialogSave.outcome).where(DialogSave.key == key)
        )
        if outcome is None:
            return None
        return dict(outcome) if isinstance(outcome, dict) else {}

    async def remember(self, key: str, dialog: str, outcome: dict[str, Any]) -> None:
        """Record, in the caller's transaction, that ``dialog`` saved under ``key``."""
        self.session.add(DialogSave(key=key, dialog=dialog[:40], outcome=outcome))
        # Now, not at commit: a racing duplicate fails here, inside the caller's error handling.
        await self.session.flush()
