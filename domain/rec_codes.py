"""Why a child stopped being looked after: the SSDA903 "reason episode ceased" (REC) codes.

Meanings are the Department for Education's, word for word, from the code list for REC in
"Children looked after return 2023 to 2024: guide" (SSDA903), the annual guide to the return
published on GOV.UK (checked against the same list as the 903 validators carry it). X1 (the
episode ended but a new one began the same day) is left out: it never ends a period of care.

The groups are the seed report's (West Berkshire IRO annual report 2023-24, 12.3). The seed
names its rows, not the codes behind them; the codes given to each row here are read from the
row names and checked against the seed's own arithmetic, "excluding children of 18 years of age,
62% (42%) ... were either adopted or left care to live with their parents or a relative": with
adoption, special guardianship to a relative, a child arrangements order and living with
parents or relatives on top, and staying put and adult services underneath, its table gives
43 / 69 = 62% and 18 / 43 = 42%. A code the seed has no row for is shown on its own, under its
DfE meaning, rather than guessed into "Other".
"""

from __future__ import annotations

from dataclasses import dataclass

#: REC code -> its meaning, in the order of the DfE's list.
REC_MEANINGS: dict[str, str] = {
    "E11": "Adopted - application for an adoption order unopposed",
    "E12": "Adopted - consent dispensed with by the court",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E4A": "Returned home to live with parent(s), relative(s), or other person(s) with parental "
    "responsibility as part of the care planning process (not under a special guardianship "
    "order or residence order or (from 22 April 2014) a child arrangement order)",
    "E4B": "Returned home to live with parent(s), relative(s), or other person(s) with parental "
    "responsibility which was not part of the current care planning process (not under a "
    "special guardianship order or residence order or (from 22 April 2014) a child "
    "arrangement order)",
    "E13": "Left care to live with parent(s), relative(s), or other person(s) with no parental "
    "responsibility",
    "E41": "Residence order (or, from 22 April 2014, a child arrangement order which sets out "
    "with whom the child is to live) granted",
    "E45": "Special guardianship order made to former foster carer(s), who was/are a "
    "relative(s) or friend(s)",
    "E46": "Special guardianship order made to former foster carer(s), other than relative(s) "
    "or friend(s)",
    "E47": "Special guardianship order made to carer(s), other than former foster carer(s), who "
    "was/are a relative(s) or friend(s)",
    "E48": "Special guardianship order made to carer(s), other than former foster carer(s), "
    "other than relative(s) or friend(s)",
    "E5": "Moved into independent living arrangement and no longer looked-after: supportive "
    "accommodation providing formalised advice/support arrangements (such as most hostels, "
    "young men's Christian association, foyers, staying close and care leavers projects). "
    "Includes both children leaving care before and at age 18",
    "E6": "Moved into independent living arrangement and no longer looked-after: accommodation "
    "providing no formalised advice/support arrangements (such as bedsit, own flat, living "
    "with friend(s)). Includes both children leaving care before and at age 18",
    "E7": "Transferred to residential care funded by adult social care services",
    "E9": "Sentenced to custody",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child is aged 18 or over and E5, E6 and E7 do not apply, "
    "such as an unaccompanied asylum-seeking child (UASC) whose age has been disputed",
    "E16": "Child moved abroad",
    "E17": "Aged 18 (or over) and remained with current carers (inc under staying put "
    "arrangements)",
    "E8": "Period of being looked-after ceased for any other reason (where none of the other "
    "reasons apply)",
}

REC_SOURCE = (
    'DfE, "Children looked after return 2023 to 2024: guide" (SSDA903), code list for REC '
    "(reason episode ceased)"
)

#: Adopted, or gone to live with parents, relatives or friends (by an order or without one):
#: the seed's "adopted or left care to live with their parents or a relative". Special
#: guardianship to carers who are not relatives or friends (E46, E48) is not in it.
FAMILY_OR_ADOPTED = frozenset({"E11", "E12", "E41", "E45", "E47", "E4A", "E4B", "E13"})


@dataclass(frozen=True)
class RecGroup:
    label: str
    codes: tuple[str, ...]


#: The seed's rows (12.3), in its order.
SEED_GROUPS: tuple[RecGroup, ...] = (
    RecGroup(
        "Special guardianship order made to former foster carers who were a relative or friend",
        ("E45",),
    ),
    RecGroup("Residence order / child arrangements order", ("E41",)),
    RecGroup("Adoption", ("E11", "E12")),
    RecGroup("Other (no other reason applies)", ("E8",)),
    RecGroup("Sentenced to custody", ("E9",)),
    RecGroup(
        "Left care to live with parents, relatives or another person, with or without "
        "parental responsibility",
        ("E4A", "E4B", "E13"),
    ),
    RecGroup("Age assessment determined the child (UASC) to be aged 18 or over", ("E15",)),
    RecGroup("Moved into independent living", ("E5", "E6")),
    RecGroup("Transferred to adult social care services", ("E7",)),
    RecGroup("Aged 18 and remained with current carers (staying put)", ("E17",)),
)

_GROUPED = frozenset(code for group in SEED_GROUPS for code in group.codes)

#: Every row of the grouped table: the seed's rows, then each code it has no row for.
ALL_GROUPS: tuple[RecGroup, ...] = SEED_GROUPS + tuple(
    RecGroup(meaning, (code,)) for code, meaning in REC_MEANINGS.items() if code not in _GROUPED
)
_GROUP_OF = {code: group for group in ALL_GROUPS for code in group.codes}


def rec_group(code: str | None) -> RecGroup | None:
    """The row a code is counted in; None for no code or a code not in the DfE list."""
    return None if code is None else _GROUP_OF.get(code.upper())


def rec_meaning(code: str) -> str:
    return REC_MEANINGS.get(code.upper(), "not a code in the DfE list")
