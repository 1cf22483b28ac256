"""Every table of the shared store. Importing this package registers them all on Base.metadata."""

from storage.base import Base
from storage.models.audit import AuditEntry
from storage.models.children import (
    BroughtForwardDirection,
    Child,
    CpConference,
    CpPlan,
    MissingEpisode,
    PeriodOfCare,
    Review,
    ReviewBooking,
)
from storage.models.dialog_saves import DialogSave
from storage.models.ir_cards import IrCardMessage
from storage.models.issues import IrReason, IrReferenceCounter, IrStageEntry, IssueResolution
from storage.models.outbox import Notification
from storage.models.staff import ConversationRef, Staff

__all__ = [
    "AuditEntry",
    "Base",
    "BroughtForwardDirection",
    "Child",
    "ConversationRef",
    "CpConference",
    "CpPlan",
    "DialogSave",
    "IrCardMessage",
    "IrReason",
    "IrReferenceCounter",
    "IrStageEntry",
    "IssueResolution",
    "MissingEpisode",
    "Notification",
    "PeriodOfCare",
    "Review",
    "ReviewBooking",
    "Staff",
]
