"""Staff (every user is a known member of staff) and their Teams conversation references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at, updated_at


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    # E-mail / UPN, stored lower-case: the key people files and TeamsInfo match on.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    # iro, social_worker, practice_supervisor, team_manager, service_manager,
    # service_director, director, qa_manager, admin
    role: Mapped[str] = mapped_column(String(40), index=True)
    service_area: Mapped[str | None] = mapped_column(String(100), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Someone who may act for this person (e.g. answer an IR stage while they are away).
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The Teams user id (29:...) learnt from activities and rosters: needed for proactive 1:1s
    # and for Adaptive Card refresh.userIds.
    teams_user_id: Mapped[str | None] = mapped_column(String(200), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class ConversationRef(Base):
    """A stored Bot Framework ConversationReference, for proactive messages."""

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("staff_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(400))
    conversation_type: Mapped[str | None] = mapped_column(String(40))  # personal, groupChat, ...
    service_url: Mapped[str] = mapped_column(String(400))
    channel_id: Mapped[str] = mapped_column(String(40))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    reference_json: Mapped[str] = mapped_column(Text)
    # Set when a send came back 403/404: the bot is not installed or the chat is gone.
    # timezone=True: see Notification.due_at.
    unreachable_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = updated_at()


Index("ix_conversation_refs_staff_updated", ConversationRef.staff_id, ConversationRef.updated_at)
