"""Which confirmed dialog writes have been made, so a repeated confirmation makes none twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.models._columns import created_at


class DialogSave(Base):
    """One dialog write (an IR raised, a review recorded...), by the key its summary was
    confirmed under (``storage.dialog_saves``).

    Written in the same transaction as the write itself, so the row exists exactly when the write
    does. A bot killed after that commit but before it saved the conversation's state comes back
    with the dialog still at its summary; the user's "yes" again finds this row and is told it was
    already saved, instead of raising a second IR.
    """

    __tablename__ = "dialog_saves"

    # A fresh random key each time a summary is shown (uuid4 hex).
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    dialog: Mapped[str] = mapped_column(String(40))
    # What the dialog ended with ("reference": "IR-2026-0042", ...): plain JSON, no free text.
    outcome: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at()
