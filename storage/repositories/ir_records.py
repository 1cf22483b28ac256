"""The reads and writes the IR use cases make (``services.irs``, ``services.ir_cards``,
``services.ir_actions``), over one session: the IR itself (``storage.repositories.issues``), the
people it names, the child it is about, the registry of sent IR cards, and the outbox.

Persistence only: who may do what is ``domain.permissions``, what is said is ``cards``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from domain import issues_resolution as ir_model
from domain.ports import Role, StaffMember, Visibility
from domain.rules import RuleSet
from storage.dialects import insert_on_conflict
from storage.models import Child, ConversationRef, IrCardMessage, IssueResolution, Staff
from storage.outbox import enqueue
from storage.repositories.ir_lists import may_read_ir
from storage.repositories.issues import add_ir, load_ir, save_ir
from storage.repositories.names import child_display_name
from storage.repositories.staff import SqlStaffRepository, to_staff_member

#: No reference is longer than the column that holds them ("IR-2026-0042").
REFERENCE_LENGTH: int = IssueResolution.__table__.c.reference.type.length


@dataclass(frozen=True)
class Person:
    """A member of staff an IR names, as its card shows them."""

    id: int
    name: str
    teams_user_id: str | None
    delegate_id: int | None


@dataclass(frozen=True)
class CardCopy:
    """One posted copy of an IR card, with what is needed to edit it."""

    id: int
    staff_id: int | None
    conversation_id: str
    activity_id: str
    service_url: str
    rendered_version: int
    #: The stored ConversationReference (JSON) for the recipient's chat, when there is one.
    reference_json: str | None

    def conversation_reference(self) -> dict[str, Any]:
        """A serialised ConversationReference for this copy's chat: the stored one, else one
        built from the ids (enough to edit a message in it)."""
        if self.reference_json:
            stored = json.loads(self.reference_json)
            if isinstance(stored, dict):
                stored["serviceUrl"] = stored.get("serviceUrl") or self.service_url
                return stored
        return {"channelId": "msteams", "serviceUrl": self.service_url,
                "conversation": {"id": self.conversation_id}}  # fmt: skip


class SqlIrRecords:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- the IR ------------------------------------------------------------------------------

    async def add(self, ir: ir_model.IR, rules: RuleSet, *, child_pk: int, raised_by_id: int,
                  owner_id: int | None) -> str:  # fmt: skip
        """Store a new IR; returns its reference."""
        return await add_ir(self.session, ir, rules, child_pk=child_pk,
                            raised_by_id=raised_by_id, owner_id=owner_id)  # fmt: skip

    async def load(self, reference: str) -> tuple[ir_model.IR, IssueResolution]:
        """The IR and its row; ``IrNotFound`` for an unknown reference."""
        return await load_ir(self.session, reference)

    async def save(self, ir: ir_model.IR, rules: RuleSet, *, expected_version: int) -> int:
        """Write a move; ``IrConflict`` when the stored IR is no longer ``expected_version``."""
        return await save_ir(self.session, ir, rules, expected_version=expected_version)

    async def may_read(self, reference: str, staff_id: int, visibility: Visibility) -> bool:
        return await may_read_ir(self.session, reference, staff_id, visibility)

    async def open_references(self, child_pk: int) -> list[str]:
        """The references of the child's IRs not yet resolved, oldest first."""
        found = await self.session.scalars(
            select(IssueResolution.reference)
            .where(IssueResolution.child_pk == child_pk,
                   IssueResolution.status != ir_model.IRStatus.RESOLVED.value)
            .order_by(IssueResolution.raised_on, IssueResolution.id)
        )  # fmt: skip
        return list(found)

    # -- the people and the child it names ---------------------------------------------------

    async def staff_row(self, staff_id: int | None) -> Staff | None:
        return await self.session.get(Staff, staff_id) if staff_id else None

    async def management_chain(self, staff_id: int | None) -> list[StaffMember]:
        """The managers above ``staff_id``, nearest first (cycles in bad data are cut)."""
        chain: list[StaffMember] = []
        seen: set[int] = set()
        current = await self.staff_row(staff_id)
        while current is not None and current.manager_id and current.manager_id not in seen:
            seen.add(current.manager_id)
            current = await self.session.get(Staff, current.manager_id)
            if current is not None:
                chain.append(to_staff_member(current))
        return chain

    async def people(self, emails: Iterable[str]) -> dict[str, Person]:
        """The members of staff with these e-mails, by lower-case e-mail."""
        wanted = sorted({e.lower() for e in emails})
        if not wanted:
            return {}
        found = await self.session.execute(
            select(Staff.email, Staff.id, Staff.display_name, Staff.teams_user_id,
                   Staff.delegate_id).where(Staff.email.in_(wanted))
        )  # fmt: skip
        return {email.lower(): Person(pk, name, mri, delegate)
                for email, pk, name, mri, delegate in found}  # fmt: skip

    async def teams_user_ids(self, staff_ids: Sequence[int]) -> dict[int, str | None]:
        """Active members of staff's Teams user ids, by staff id."""
        rows = await self.session.execute(
            select(Staff.id, Staff.teams_user_id).where(
                Staff.id.in_(list(staff_ids)), Staff.active.is_(True)
            )
        )
        return {pk: mri for pk, mri in rows}

    async def qa_manager_teams_user_ids(self, limit: int) -> list[str]:
        found = await self.session.scalars(
            select(Staff.teams_user_id)
            .where(Staff.role == Role.QA_MANAGER.value, Staff.active.is_(True),
                   Staff.teams_user_id.is_not(None))
            .order_by(Staff.id)
            .limit(limit)
        )  # fmt: skip
        return list(found)

    async def child_row(self, child_pk: int | None) -> Child | None:
        return await self.session.get(Child, child_pk) if child_pk else None

    async def child_name(self, child_pk: int | None) -> str | None:
        child = await self.child_row(child_pk)
        return child_display_name(child.given_name, child.family_name) if child else None

    async def viewers(self, staff_ids: Iterable[int | None]) -> dict[int, StaffMember]:
        """Members of staff by id (to render each copy of a card for its holder)."""
        wanted = sorted({i for i in staff_ids if i is not None})
        return await SqlStaffRepository(self.session).by_ids(wanted)

    # -- notifications and the sent cards ----------------------------------------------------

    async def enqueue(self, *, key: str, recipient_staff_id: int, kind: str,
                      payload: dict[str, Any]) -> bool:  # fmt: skip
        """An outbox notification in this transaction; False when ``key`` was already used."""
        return await enqueue(self.session, key=key, recipient_staff_id=recipient_staff_id,
                             kind=kind, payload=payload)  # fmt: skip

    async def record_copy(
        self, *, reference: str, version: int, recipient_staff_id: int | None,
        conversation_id: str, activity_id: str, service_url: str,
    ) -> bool:  # fmt: skip
        """Remember where a copy of the IR's card was posted; True when it is already behind
        the IR (it moved on between rendering and recording). Recording twice is harmless."""
        row = (await self.session.execute(
            select(IssueResolution.id, IssueResolution.version)
            .where(IssueResolution.reference == reference)
        )).one_or_none()  # fmt: skip
        if row is None:
            return False
        ir_id, current = row
        await self.session.execute(
            insert_on_conflict(self.session)(IrCardMessage)
            .values(ir_id=ir_id, staff_id=recipient_staff_id, conversation_id=conversation_id,
                    activity_id=activity_id, service_url=service_url, rendered_version=version)
            .on_conflict_do_nothing(index_elements=["conversation_id", "activity_id"])
        )  # fmt: skip
        return version < current

    async def copies_to_update(self, reference: str) -> list[CardCopy]:
        """Every copy of the IR's card that shows an older version than the stored one."""
        rows = await self.session.execute(
            select(IrCardMessage, ConversationRef.reference_json)
            .join(IssueResolution, IssueResolution.id == IrCardMessage.ir_id)
            .join(ConversationRef, and_(ConversationRef.staff_id == IrCardMessage.staff_id,
                                        ConversationRef.conversation_id
                                        == IrCardMessage.conversation_id), isouter=True)
            .where(IssueResolution.reference == reference,
                   IrCardMessage.rendered_version < IssueResolution.version)
            .order_by(IrCardMessage.id)
        )  # fmt: skip
        return [
            CardCopy(id=m.id, staff_id=m.staff_id, conversation_id=m.conversation_id,
                     activity_id=m.activity_id, service_url=m.service_url,
                     rendered_version=m.rendered_version, reference_json=reference_json)
            for m, reference_json in rows
        ]  # fmt: skip

    async def mark_updated(self, copy_ids: Sequence[int], version: int) -> None:
        """Record that these copies now show ``version`` (never moving a copy backwards)."""
        if not copy_ids:
            return
        await self.session.execute(
            update(IrCardMessage)
            .where(IrCardMessage.id.in_(list(copy_ids)), IrCardMessage.rendered_version < version)
            .values(rendered_version=version)
        )
