"""``StaffRepository`` over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.ports import StaffMember
from storage.models import Staff


def to_staff_member(row: Staff) -> StaffMember:
    return StaffMember(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=row.role,
        service_area=row.service_area,
        aad_object_id=row.aad_object_id,
        teams_user_id=row.teams_user_id,
        manager_id=row.manager_id,
        delegate_id=row.delegate_id,
        active=row.active,
    )


# Built once: every bot turn looks its sender up, and building the statement (and its cache
# key) costs SQLAlchemy more than running it.
_BY_AAD = select(Staff).where(Staff.aad_object_id == bindparam("aad"))
_BY_EMAIL = select(Staff).where(Staff.email == bindparam("email"))


class SqlStaffRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_id(self, staff_id: int) -> StaffMember | None:
        row = await self._session.get(Staff, staff_id)
        return None if row is None else to_staff_member(row)

    async def by_email(self, email: str) -> StaffMember | None:
        # Stored lower-case (the people import and TeamsInfo UPNs), so equality uses the index.
        wanted = email.strip().lower()
        if not wanted:
            return None
        row = await self._session.scalar(_BY_EMAIL, {"email": wanted})
        return None if row is None else to_staff_member(row)

    async def by_aad_object_id(self, aad_object_id: str) -> StaffMember | None:
        # Exact: Teams sends the GUID as the directory holds it (lower-case hex in practice).
        wanted = aad_object_id.strip()
        if not wanted:
            return None
        row = await self._session.scalar(_BY_AAD, {"aad": wanted})
        return None if row is None else to_staff_member(row)

    async def identify(self, aad_object_id: str | None, email: str | None) -> StaffMember | None:
        # The AAD object id is the stable identity; an e-mail/UPN can be reassigned, so it is
        # only the fallback for staff whose AAD id the people file did not give.
        staff = await self.by_aad_object_id(aad_object_id) if aad_object_id else None
        if staff is None and email:
            staff = await self.by_email(email)
        if staff is None or not staff.active:
            return None
        return staff

    async def by_ids(self, staff_ids: Sequence[int]) -> dict[int, StaffMember]:
        if not staff_ids:
            return {}
        rows = await self._session.scalars(select(Staff).where(Staff.id.in_(set(staff_ids))))
        return {row.id: to_staff_member(row) for row in rows}
