"""A session that can only read: writes are refused before they reach the database.

Why: a question's session (``services.context.Services.answering``) runs outside a transaction
(autocommit on PostgreSQL), and its audit entries are written later, with the conversation
state, both or neither. A write made through it would be committed on its own, at once, outside
that promise. Checking the session when the block ends is too late: the ORM flushes pending
objects before the next query (autoflush), and a Core ``insert``/``update``/``delete`` runs
when executed. So both are refused as they are attempted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session


class WriteRefusedError(RuntimeError):
    """A write attempted in a session that only reads."""


class ReadsOnlySession(Session):
    """An ORM ``Session`` that refuses to flush and refuses DML statements."""


REFUSAL = "a question's session only reads: write in a transaction"


@event.listens_for(ReadsOnlySession, "do_orm_execute")
def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteRefusedError(REFUSAL)


@event.listens_for(ReadsOnlySession, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    raise WriteRefusedError(REFUSAL)
