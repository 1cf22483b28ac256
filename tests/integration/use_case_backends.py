"""The stores a use-case test runs on, seeded the same way: the in-memory fake
(``tests/fakes.py``) and a real database (SQLite or PostgreSQL). Each test module subclasses these
with the reads of its own stored facts, so its assertions are the same on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.ports import Role, StaffMember
from services.unit_of_work import SqlUnitOfWork
from storage.models import Child, Staff
from storage.repositories.names import set_child_names
from storage.repositories.staff import to_staff_member
from tests.fakes import FakeStore, FakeUnitOfWork


class FakeSeeding:
    def __init__(self, since: date, area: str) -> None:
        self.store = FakeStore()
        self.since, self.area = since, area

    async def add_staff(self, email: str, name: str, role: Role, *,
                        manager: StaffMember | None = None, service_area: str | None = None,
                        teams_user_id: str | None = None) -> StaffMember:  # fmt: skip
        return self.store.committed.add_staff(
            email, name, role.value, manager_id=manager.id if manager else None,
            service_area=service_area, teams_user_id=teams_user_id,
        )  # fmt: skip

    async def add_child(self, child_id: str, iro: StaffMember, social_worker: StaffMember
                        ) -> int:  # fmt: skip
        return self.store.committed.add_child(
            child_id, self.since, given_name="Sam", family_name=f"Test {child_id}",
            service_area=self.area, iro_id=iro.id, social_worker_id=social_worker.id,
        ).id  # fmt: skip

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store)


class SqlSeeding:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], since: date,
                 area: str) -> None:  # fmt: skip
        self.sessions = sessions
        self.since, self.area = since, area

    async def add_staff(self, email: str, name: str, role: Role, *,
                        manager: StaffMember | None = None, service_area: str | None = None,
                        teams_user_id: str | None = None) -> StaffMember:  # fmt: skip
        async with self.sessions() as session, session.begin():
            row = Staff(email=email.lower(), display_name=name, role=role.value,
                        manager_id=manager.id if manager else None, service_area=service_area,
                        teams_user_id=teams_user_id, active=True)  # fmt: skip
            session.add(row)
            await session.flush()
            return to_staff_member(row)

    async def add_child(self, child_id: str, iro: StaffMember, social_worker: StaffMember
                        ) -> int:  # fmt: skip
        async with self.sessions() as session, session.begin():
            child = Child(child_id=child_id, looked_after_since=self.since,
                          service_area=self.area, iro_id=iro.id,
                          social_worker_id=social_worker.id)  # fmt: skip
            set_child_names(child, "Sam", f"Test {child_id}")
            session.add(child)
            await session.flush()
            return child.id

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[SqlUnitOfWork]:
        async with self.sessions() as session, session.begin():
            yield SqlUnitOfWork(session)
