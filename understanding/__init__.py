"""Understanding UK English chat messages without a cloud service.

    understand(text, today, context) -> Understanding   (intent + entities)
    resolve_child(reference, candidates) -> ChildResolution   (MATCH / AMBIGUOUS / NONE)

Pure functions over plain values: no store, no bot framework, nothing logged (messages carry
children's names). The handler keeps a ConversationContext between turns and passes the user's
visible children to resolve_child.
"""

from understanding.children import (
    ChildCandidate,
    ChildIndex,
    ChildResolution,
    ResolutionKind,
    child_index,
    resolve_child,
)
from understanding.dates import DateReading, Direction, read_date
from understanding.model import (
    CHILD_INTENTS,
    IR_ACTION_INTENTS,
    ChildDetail,
    ChildRef,
    ChildRefKind,
    ConversationContext,
    DuePeriod,
    Intent,
    IrScope,
    Scope,
    Understanding,
)
from understanding.understand import understand

__all__ = [
    "CHILD_INTENTS",
    "IR_ACTION_INTENTS",
    "ChildCandidate",
    "ChildDetail",
    "ChildIndex",
    "ChildRef",
    "ChildRefKind",
    "ChildResolution",
    "ConversationContext",
    "DateReading",
    "Direction",
    "DuePeriod",
    "Intent",
    "IrScope",
    "ResolutionKind",
    "Scope",
    "Understanding",
    "child_index",
    "read_date",
    "resolve_child",
    "understand",
]
