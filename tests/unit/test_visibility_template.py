"""``visibility_template`` (values as bound parameters, for statements built once) is
``visibility_clause`` (values inline) for every visibility, on both databases."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from domain.permissions import visibility_for
from domain.ports import NOTHING, SYSTEM, StaffMember, Visibility
from storage.models import Child
from storage.repositories.visibility import (
    visibility_clause,
    visibility_params,
    visibility_shape,
    visibility_template,
)

VISIBILITIES = [
    SYSTEM,
    NOTHING,
    Visibility(reviewing_iro_id=4),
    Visibility(social_worker_id=9),
    Visibility(service_area="Children in Care"),
    Visibility(reviewing_iro_id=4, social_worker_id=9, service_area="16+/Care Leavers"),
    visibility_for(StaffMember(id=12, email="a@b", display_name="A", role="iro")),
    visibility_for(
        StaffMember(id=13, email="c@d", display_name="C", role="team_manager", service_area="West")
    ),
]


def rendered(clause: object, dialect: object) -> str:
    return str(clause.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("visibility", "as_filter", "dialect"),
    list(itertools.product(VISIBILITIES, [False, True], [sqlite.dialect(), postgresql.dialect()])),
)
def test_the_template_with_its_values_is_the_clause(
    visibility: Visibility, as_filter: bool, dialect: object
) -> None:
    template = visibility_template(visibility_shape(visibility), as_filter=as_filter)
    prepared = select(Child.id).where(template).params(visibility_params(visibility))
    built = select(Child.id).where(visibility_clause(visibility, as_filter=as_filter))
    assert rendered(prepared, dialect) == rendered(built, dialect)


def test_one_template_per_shape() -> None:
    a, b = Visibility(reviewing_iro_id=1), Visibility(reviewing_iro_id=2)
    assert visibility_shape(a) == visibility_shape(b)
    assert visibility_template(visibility_shape(a)) is visibility_template(visibility_shape(b))
    assert visibility_params(a) != visibility_params(b)
