"""Who a Teams user was a moment ago: the staff record an AAD object id named, for ``ttl`` seconds.

Every turn starts by finding the sender's staff record; looking it up in the store costs a
transaction (~1 ms of CPU, a twentieth of a turn before this cache). An IRO's conversation is a
burst of turns, so the record is kept for a short while.

What the staleness means, and why 30 seconds: a member of staff made inactive (or removed, or
whose AAD id is given to someone else) is refused by this process at most ``ttl`` seconds
later; a role or service-area change (so what they may see) takes effect within ``ttl`` seconds
too. People records change through ``iro-bot import people`` from the HR system, days after the
fact, and a user disabled in Entra ID keeps a signed-in Teams client for longer than this
anyway (Teams access tokens live for about an hour), so 30 s adds nothing material while a
conversation's turns seconds apart cost no lookup. Only a found, active member of staff is
kept: an unknown or inactive sender is looked up (and the refusal audited) on every attempt,
and someone just added to the store is recognised at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from domain.ports import StaffMember

DEFAULT_TTL_SECONDS = 30.0


class RecentStaff:
    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        max_entries: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, StaffMember]] = OrderedDict()

    def get(self, aad_object_id: str) -> StaffMember | None:
        """The member of staff this AAD id named less than ``ttl`` seconds ago, else None."""
        found = self._entries.get(aad_object_id)
        if found is None:
            return None
        if self._clock() - found[0] >= self._ttl:
            del self._entries[aad_object_id]
            return None
        return found[1]

    def put(self, aad_object_id: str, staff: StaffMember) -> None:
        if not staff.active:
            return
        self._entries[aad_object_id] = (self._clock(), staff)
        self._entries.move_to_end(aad_object_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def forget(self, aad_object_id: str | None = None) -> None:
        """Drop one AAD id, or everyone (e.g. after this process changed staff records)."""
        if aad_object_id is None:
            self._entries.clear()
        else:
            self._entries.pop(aad_object_id, None)
