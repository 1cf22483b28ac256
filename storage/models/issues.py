"""Issues Resolution records: the IR, its reasons and its complete stage history.

Deadlines (the current stage's response due date, the formal limit) are stored beside the IR so
reminders and "IRs waiting for me" are index scans; they are always written from the domain.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at, updated_at


class IssueResolution(Base):
    __tablename__ = "issue_resolutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)  # IR-2026-0042
    child_pk: Mapped[int | None] = mapped_column(ForeignKey("children.id"), index=True)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    raised_on: Mapped[date] = mapped_column(index=True)
    # The stage key it was raised at (informal, 1..4 by default) and the stage it is at now.
    stage_raised: Mapped[str] = mapped_column(String(20))
    current_stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    service_area: Mapped[str | None] = mapped_column(String(100), index=True)
    responsible_worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    formal_since: Mapped[date | None]
    stage_due: Mapped[date | None]
    formal_due: Mapped[date | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None]
    resolved_at_stage: Mapped[str | None] = mapped_column(String(20))
    cafcass_referred_on: Mapped[date | None]
    # Who referred the case to Cafcass (IR-CAFCASS records the referral, its date and who made it).
    cafcass_referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # Bumped on every change: card actions carry it, so a stale click is recognised.
    version: Mapped[int] = mapped_column(default=1)
    source: Mapped[str] = mapped_column(String(20), default="bot")  # bot, import
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


Index("ix_issue_resolutions_status_stage_due", IssueResolution.status, IssueResolution.stage_due)


class IrReason(Base):
    __tablename__ = "ir_reasons"
    __table_args__ = (UniqueConstraint("ir_id", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ir_id: Mapped[int] = mapped_column(ForeignKey("issue_resolutions.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(200), index=True)  # the rule-file label


class IrStageEntry(Base):
    __tablename__ = "ir_stage_history"
    __table_args__ = (UniqueConstraint("ir_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ir_id: Mapped[int] = mapped_column(ForeignKey("issue_resolutions.id", ondelete="CASCADE"))
    seq: Mapped[int]  # 1 for the stage raised at, then one per escalation
    stage: Mapped[str] = mapped_column(String(20))
    entered_on: Mapped[date]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    escalation_reason: Mapped[str | None] = mapped_column(Text)
    response: Mapped[str | None] = mapped_column(Text)
    responded_on: Mapped[date | None]
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    target_date: Mapped[date | None]
    declined: Mapped[bool] = mapped_column(default=False)


class IrReferenceCounter(Base):
    """The last IR number issued in each year, so references are IR-YYYY-NNNN without gaps."""

    __tablename__ = "ir_reference_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
