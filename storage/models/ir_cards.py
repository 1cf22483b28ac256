"""Where each IR card was delivered, so it can be updated in place when the IR moves on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at, updated_at


class IrCardMessage(Base):
    """One posted copy of an IR card: a Teams message the bot may edit (PUT) later.

    Filled by ``services.ir_cards.record_delivery`` after a successful send. One row per message;
    a member of staff may hold several copies of one IR's card (e.g. the IRO's copy from when it
    was raised and the one telling them of the response): every copy is kept true.
    """

    __tablename__ = "ir_card_messages"
    # The same message recorded twice (a dispatcher retrying its bookkeeping) stays one row.
    __table_args__ = (UniqueConstraint("conversation_id", "activity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ir_id: Mapped[int] = mapped_column(
        ForeignKey("issue_resolutions.id", ondelete="CASCADE"), index=True
    )
    # Whose 1:1 chat it is: the card is rendered for them (their buttons) when it is updated.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    conversation_id: Mapped[str] = mapped_column(String(400))
    activity_id: Mapped[str] = mapped_column(String(200))
    service_url: Mapped[str] = mapped_column(String(400))
    # The IR version the message shows now; below the IR's version means it needs an update.
    rendered_version: Mapped[int]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
