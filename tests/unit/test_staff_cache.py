"""``RecentStaff``: who an AAD object id was, for a short while, and never who was refused."""

from __future__ import annotations

import dataclasses

from bot.staff_cache import DEFAULT_TTL_SECONDS, RecentStaff
from domain.ports import StaffMember

ALEX = StaffMember(id=1, email="alexw@example.com", display_name="Alex Wilber", role="iro")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_member_of_staff_is_kept_for_the_ttl_and_then_looked_up_again() -> None:
    clock = Clock()
    cache = RecentStaff(clock=clock)
    cache.put("aad-1", ALEX)
    clock.now += DEFAULT_TTL_SECONDS - 0.1
    assert cache.get("aad-1") == ALEX
    clock.now += 0.1
    assert cache.get("aad-1") is None  # expired: the store decides again


def test_the_ttl_is_short() -> None:
    # The refusal of someone made inactive must follow within seconds, not minutes.
    assert DEFAULT_TTL_SECONDS <= 30


def test_inactive_staff_are_never_kept() -> None:
    cache = RecentStaff()
    cache.put("aad-1", dataclasses.replace(ALEX, active=False))
    assert cache.get("aad-1") is None


def test_unknown_ids_are_not_found_and_forget_drops() -> None:
    cache = RecentStaff()
    assert cache.get("nobody") is None
    cache.put("aad-1", ALEX)
    cache.put("aad-2", dataclasses.replace(ALEX, id=2))
    cache.forget("aad-1")
    assert cache.get("aad-1") is None and cache.get("aad-2") is not None
    cache.forget()
    assert cache.get("aad-2") is None


def test_the_cache_is_bounded() -> None:
    cache = RecentStaff(max_entries=2)
    for n in range(3):
        cache.put(f"aad-{n}", dataclasses.replace(ALEX, id=n))
    assert cache.get("aad-0") is None
    assert cache.get("aad-1") is not None and cache.get("aad-2") is not None
