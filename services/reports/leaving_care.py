"""Children leaving care (seed report 12.1, 12.3): why, from the SSDA903 REC codes."""

from __future__ import annotations

from domain.rec_codes import ALL_GROUPS, REC_MEANINGS, REC_SOURCE, rec_meaning
from domain.report_care import (
    ADULT_AGE,
    NO_REASON,
    LeavingFigures,
    further_leavings,
    leavers,
    leaving_figures,
    reason_label,
)
from domain.reporting import (
    Cell,
    Compared,
    LeftOut,
    Period,
    SectionResult,
    Table,
    compared_csv,
)
from services.reports.care import children_in_care_for
from services.reports.context import ReportContext
from storage.reporting.care import CareData

LEAVING_SOURCE = (
    "each child's periods of care that ended in the period, with the REC code (reason "
    "episode ceased) of the episode that ended it"
)


class LeavingCareSection:
    key = "leaving_care"
    title = "Children leaving care"

    async def build(self, ctx: ReportContext) -> SectionResult:
        data = await children_in_care_for(ctx)
        return leaving_care_section(data, ctx.period, ctx.previous)


def leaving_care_section(data: CareData, period: Period, previous: Period) -> SectionResult:
    this_leavers = leavers(data.children, period)
    last_leavers = leavers(data.children, previous)
    this, last = leaving_figures(this_leavers), leaving_figures(last_leavers)
    further = LeftOut(
        "further periods of care ended by a child already counted (each child is counted once, "
        "at their last leaving in the period)",
        further_leavings(data.children, period),
        further_leavings(data.children, previous),
    )
    share = Compared(this.family_or_adopted_share, last.family_or_adopted_share, True)
    return SectionResult(
        key="leaving_care",
        title="Children leaving care",
        summary=(
            f"{this.ceased} ({last.ceased}) children ceased to be looked after in "
            f"{period.label} ({previous.label} in brackets).",
            f"Excluding those aged {ADULT_AGE} or over when they left, {share.text()} were "
            "adopted or left care to live with their parents, relatives or friends (including "
            "by a special guardianship or child arrangements order to a relative or friend).",
        ),
        tables=(
            _reasons_table(this, last, further),
            _codes_table(this, last, further),
            _share_table(this, last, further),
        ),
        notes=(
            f"Reasons are the REC codes' meanings in {REC_SOURCE}. The grouped table uses the "
            "seed report's rows; a code it has no row for is shown on its own.",
            "Adopted or living with family: REC E11, E12 (adopted), E4A, E4B, E13 (returned "
            "home or went to live with parents, relatives or another person), E41 (child "
            "arrangements or residence order), E45, E47 (special guardianship order to a "
            "relative or friend). The share leaves out children aged 18 or over on the day they "
            "left, and children whose date of birth is not recorded.",
        ),
    )


def _reasons_table(this: LeavingFigures, last: LeavingFigures, further: LeftOut) -> Table:
    labels = [group.label for group in ALL_GROUPS]
    codes = {group.label: ", ".join(group.codes) for group in ALL_GROUPS}
    # Codes the DfE list does not have, then no reason at all, after the list's rows.
    others = sorted({*this.by_reason, *last.by_reason} - {*labels, NO_REASON})
    for code in sorted({*this.by_code, *last.by_code} - {None, *REC_MEANINGS}):
        codes[reason_label(code)] = code or ""
    labels += others
    if NO_REASON in this.by_reason or NO_REASON in last.by_reason:
        labels.append(NO_REASON)
        codes[NO_REASON] = ""
    rows: list[tuple[Cell, ...]] = [
        (label, codes[label], Compared(this.by_reason.get(label, 0), last.by_reason.get(label, 0)))
        for label in labels
    ]
    rows.append(("Total", "", Compared(this.ceased, last.ceased)))
    return Table(
        key="leaving_care_reasons",
        title="Why children left care",
        columns=("Reason the child left care", "REC codes", "Children"),
        rows=tuple(rows),
        csv=(compared_csv("leaving_care_reasons", "reason", ("rec_codes", "children"), rows),),
        source=LEAVING_SOURCE,
        left_out=(further,),
        emphasis=frozenset({len(rows) - 1}),
    )


def _codes_table(this: LeavingFigures, last: LeavingFigures, further: LeftOut) -> Table:
    seen = {*this.by_code, *last.by_code}
    ordered = [code for code in REC_MEANINGS if code in seen]
    ordered += sorted(code for code in seen if code is not None and code not in REC_MEANINGS)
    if None in seen:
        ordered.append(None)
    rows: list[tuple[Cell, ...]] = [
        (
            code or "none",
            rec_meaning(code) if code else "no reason recorded",
            Compared(this.by_code.get(code, 0), last.by_code.get(code, 0)),
        )
        for code in ordered
    ]
    return Table(
        key="leaving_care_rec_codes",
        title="Why children left care, by REC code (the DfE's meanings)",
        columns=("REC code", "Meaning", "Children"),
        rows=tuple(rows),
        csv=(compared_csv("leaving_care_rec_codes", "rec_code", ("meaning", "children"), rows),),
        source=LEAVING_SOURCE,
        left_out=(further,),
        note="Only the codes given for a child in either period are listed.",
    )


def _share_table(this: LeavingFigures, last: LeavingFigures, further: LeftOut) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("Children who ceased to be looked after", Compared(this.ceased, last.ceased)),
        (
            f"Aged {ADULT_AGE} or over when they left (not in the share)",
            Compared(this.aged_18_or_over, last.aged_18_or_over),
        ),
        ("Under 18 when they left", Compared(this.under_18, last.under_18)),
        (
            "of whom adopted or living with parents, relatives or friends",
            Compared(this.family_or_adopted, last.family_or_adopted),
        ),
        (
            f"% adopted or living with family, excluding those aged {ADULT_AGE} or over",
            Compared(this.family_or_adopted_share, last.family_or_adopted_share, True),
        ),
    ]
    return Table(
        key="leaving_care_family_or_adopted",
        title="Children who left care under 18 and were adopted or went to live with family",
        columns=("Children", "Number"),
        rows=tuple(rows),
        csv=(compared_csv("leaving_care_family_or_adopted", "measure", ("number",), rows),),
        source=LEAVING_SOURCE + ", and the child's date of birth",
        left_out=(
            further,
            LeftOut(
                "children who left care with no date of birth recorded (their age is not known, "
                "so they are not in the share)",
                this.age_unknown,
                last.age_unknown,
            ),
        ),
        emphasis=frozenset({4}),
    )
