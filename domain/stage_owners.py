"""Who answers an Issues Resolution at a stage (domain.md section 4; per-LA owner roles).

The informal stage goes to the line manager of the child's social worker; every higher stage to
the nearest manager above the social worker who holds that stage's role. The chain is the
social worker's managers, nearest first, as the store records them.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.ports import StaffMember
from domain.rules import Stage

LINE_MANAGER = "line_manager"


def stage_owner(stage: Stage, managers: Sequence[StaffMember]) -> StaffMember | None:
    """The member of staff who answers at ``stage``, or None when none is recorded."""
    active = [m for m in managers if m.active]
    if stage.owner_role == LINE_MANAGER:
        return active[0] if active else None
    return next((m for m in active if m.role == stage.owner_role), None)
