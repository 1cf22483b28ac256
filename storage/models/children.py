"""Children in care and what happens to them: periods of care, reviews, CP plans, missing episodes.

Each child's next review due date, its rule and its practical date are stored (recomputed by the
domain whenever an input changes, and for everyone by `iro-bot recompute`), so "due between d1 and
d2" and "overdue" are index range scans rather than a computation per child.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at, updated_at


def _norm_text(length: int) -> String:
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The authority's own identifier (the SSDA903 CHILD id where one exists).
    child_id: Mapped[str] = mapped_column(String(64), unique=True)
    given_name: Mapped[str | None] = mapped_column(String(100))
    family_name: Mapped[str | None] = mapped_column(String(100))
    # Names folded for search: lower case, accents removed, apostrophes/hyphens as spaces.
    # Written only by storage.repositories.names.set_child_names. Collation "C" on PostgreSQL
    # (byte order, as SQLite's BINARY) so a plain b-tree index serves prefix searches
    # (`col >= 'p' AND col < 'q'`) whatever the database's default locale.
    given_name_norm: Mapped[str | None] = mapped_column(_norm_text(100), index=True)
    family_name_norm: Mapped[str | None] = mapped_column(_norm_text(100), index=True)
    full_name_norm: Mapped[str | None] = mapped_column(_norm_text(201), index=True)
    date_of_birth: Mapped[date | None]
    sex: Mapped[str | None] = mapped_column(String(1))  # SSDA903 SEX: 1 male, 2 female
    uasc: Mapped[bool] = mapped_column(default=False)
    iro_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # An IRO covering this child (e.g. during another IRO's absence) also sees the child.
    covering_iro_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    social_worker_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    service_area: Mapped[str | None] = mapped_column(String(100), index=True)
    # Start of the current period of care (None when not looked after now).
    looked_after_since: Mapped[date | None]
    # The stored schedule, maintained by the domain.
    next_review_due: Mapped[date | None]
    next_review_practical: Mapped[date | None]
    next_review_rule: Mapped[str | None] = mapped_column(String(20))
    next_review_number: Mapped[int | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


# "What is due for me between d1 and d2" and "overdue" for one IRO: one range scan each.
Index("ix_children_iro_next_review", Child.iro_id, Child.next_review_due)
# The same for the children an IRO is covering (they see and are reminded of those too).
Index("ix_children_covering_iro_next_review", Child.covering_iro_id, Child.next_review_due)
Index("ix_children_next_review", Child.next_review_due)


class PeriodOfCare(Base):
    __tablename__ = "periods_of_care"
    __table_args__ = (UniqueConstraint("child_pk", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    # SSDA903 REC code of the episode that ended the period (e.g. E11 adopted).
    reason_ended: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, children, ssda903


class Review(Base):
    """A CIC review held (a split review has one row per part)."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("child_pk", "held_on", "part"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    part: Mapped[str] = mapped_column(String(10), default="full")  # full, part1, part2
    # Why it was late, or why only Part 1 could be held: from a configured list or "other".
    late_reason: Mapped[str | None] = mapped_column(String(200))
    part1_reason: Mapped[str | None] = mapped_column(String(200))
    decisions_sent_on: Mapped[date | None]
    minutes_sent_on: Mapped[date | None]
    # SSDA903 REVIEW_CODE PN0-PN7 (participation); chaired by the young person where recorded.
    participation_code: Mapped[str | None] = mapped_column(String(4))
    chaired_by_child: Mapped[bool | None]
    # The locality it was held in: the authority's list, or the words typed (seed section 11).
    held_at: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default="manual")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = created_at()


class ReviewBooking(Base):
    """A review date booked in advance (drives the CIC-REPORTS nudge)."""

    __tablename__ = "review_bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    booked_for: Mapped[date] = mapped_column(index=True)
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    # booked, held, cancelled
    status: Mapped[str] = mapped_column(String(12), default="booked")
    created_at: Mapped[datetime] = created_at()


class BroughtForwardDirection(Base):
    """CIC-BF: the IRO directs that the next review be held by a date."""

    __tablename__ = "brought_forward_directions"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    review_by: Mapped[date]
    directed_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text)
    directed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = created_at()


class CpPlan(Base):
    """A child protection plan: from the strategy discussion to the plan ending."""

    __tablename__ = "cp_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    strategy_discussion_on: Mapped[date]
    initial_conference_on: Mapped[date | None]
    ended_on: Mapped[date | None]
    created_at: Mapped[datetime] = created_at()


class CpConference(Base):
    __tablename__ = "cp_conferences"
    __table_args__ = (UniqueConstraint("cp_plan_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cp_plan_id: Mapped[int] = mapped_column(ForeignKey("cp_plans.id", ondelete="CASCADE"))
    held_on: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10))  # initial, review


class MissingEpisode(Base):
    __tablename__ = "missing_episodes"
    __table_args__ = (UniqueConstraint("child_pk", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    child_pk: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date] = mapped_column(index=True)
    ended_on: Mapped[date | None]
    # SSDA903 MIS_LOC / MISSING: M missing, A away from placement without authorisation.
    kind: Mapped[str | None] = mapped_column(String(2))
    rhi_offered_on: Mapped[date | None]
    # completed, refused, not_recorded
    rhi_outcome: Mapped[str] = mapped_column(String(14), default="not_recorded")
    where_found: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="manual")
