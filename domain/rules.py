"""Per-authority rules as data: a TOML file, validated at load with messages that name the key.

The default is ``domain/rules/west_berkshire.toml``. An authority copies it, changes what differs
(stage names and owners, timescales, holiday region, reasons, service areas) and points the
``IRO_RULES`` setting at its copy. Beside it are one file per nation outside England
(``wales.toml``, ``scotland.toml``, ``northern_ireland.toml``), chosen by name: ``IRO_RULES=wales``
or ``iro-bot calc --rules scotland``.

Only the review timescales (CIC-1, CIC-2, CIC-3, CIC-BF) must be in every file. Any other rule
may be left out when the file says why under ``[timescales_not_set]`` (a nation's law may set no
such timescale); asking for it then raises ``MissingTimescale``, whose message says so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from domain.calendar import REGIONS, WorkingDayCalendar
from domain.errors import RulesError

RULES_DIR = Path(__file__).parent / "rules"
DEFAULT_RULES_PATH = RULES_DIR / "west_berkshire.toml"

#: The rules files shipped with the product, by the name ``IRO_RULES`` or ``--rules`` may give.
BUILT_IN_RULES: dict[str, Path] = {
    "west-berkshire": DEFAULT_RULES_PATH,
    "wales": RULES_DIR / "wales.toml",
    "scotland": RULES_DIR / "scotland.toml",
    "northern-ireland": RULES_DIR / "northern_ireland.toml",
}

#: The rules every file must define: the review cycle itself.
REQUIRED_RULES = ("CIC-1", "CIC-2", "CIC-3", "CIC-BF")

#: The other rules the product computes, each with what it is (for the message when a file
#: leaves one out). A file defines each, or names it under [timescales_not_set] with a reason.
OPTIONAL_RULES: dict[str, str] = {
    "CIC-PLAN": "the care plan",
    "CIC-DECISIONS": "sending the review decisions and updated care plan",
    "CIC-MINUTES": "sending the review record (minutes)",
    "CIC-REPORTS": "social work reports reaching the IRO before a review",
    "CP-1": "the initial child protection conference",
    "CP-2": "the first child protection review conference",
    "CP-3": "child protection review conferences",
    "MISS-RHI": "the return home interview",
    "MISS-STRAT": "the strategy meeting after repeated missing episodes",
    "IR-STAGE": "a response to an Issues Resolution at its stage",
    "IR-FORMAL": "resolving a formal Issues Resolution",
}

#: Every rule the product computes.
KNOWN_RULES = (*REQUIRED_RULES, *OPTIONAL_RULES)

#: Roles a stage owner may have (as in the people import), plus the child's SW's line manager.
OWNER_ROLES = (
    "line_manager", "practice_supervisor", "team_manager", "service_manager",
    "service_director", "director", "qa_manager",
)  # fmt: skip


class Unit(StrEnum):
    WORKING_DAYS = "working_days"
    MONTHS = "months"
    HOURS = "hours"
    # Calendar days and weeks (7 days): the N-th day after the start, kept as it is when it
    # falls on a day that is not a working day (the last working day before it is shown too).
    DAYS = "days"
    WEEKS = "weeks"


_UNIT_WORDS = {
    Unit.WORKING_DAYS: "working day", Unit.MONTHS: "month", Unit.HOURS: "hour",
    Unit.DAYS: "day", Unit.WEEKS: "week",
}  # fmt: skip


class MissingTimescale(RulesError):
    """The rules in use leave out a timescale; the message says which, why, and what to do."""

    def __init__(self, rules: RuleSet, rule_id: str) -> None:
        what = OPTIONAL_RULES.get(rule_id, "this date")
        reason = rules.not_set.get(rule_id, "")
        text = (
            f"The rules for {rules.authority_name} set no timescale for {what} ({rule_id}), "
            f"so I can't work that date out."
        )
        if reason:
            text += f" {reason.rstrip('.')}."
        text += (
            f" If your authority has its own timescale, whoever looks after the bot's rules can "
            f"add it to {rules.source} with its source."
        )
        super().__init__(text)
        self.rule_id = rule_id


class Direction(StrEnum):
    AFTER = "after"
    BEFORE = "before"


class SplitReviewBasis(StrEnum):
    PART1 = "part1"
    FINAL_PART = "final_part"


@dataclass(frozen=True)
class Timescale:
    rule_id: str
    title: str
    amount: int
    unit: Unit
    event: str  # what the period runs from, e.g. "the child became looked after"
    citation: str
    direction: Direction = Direction.AFTER
    episodes: int | None = None  # MISS-STRAT only: how many episodes within the period
    # ``amount`` with the direction's sign, worked out once: deadlines are computed in bulk.
    signed_amount: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sign = -1 if self.direction is Direction.BEFORE else 1
        object.__setattr__(self, "signed_amount", sign * self.amount)

    @property
    def quantity(self) -> str:
        """'20 working days', '3 months', '72 hours', '28 days' (singular when the amount is 1)."""
        word = _UNIT_WORDS[self.unit]
        return f"{self.amount} {word}" if self.amount == 1 else f"{self.amount} {word}s"


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    owner_role: str
    owner_title: str
    order: int

    @property
    def is_formal(self) -> bool:
        return self.order > 0


@dataclass(frozen=True)
class RuleSet:
    source: str
    authority_name: str
    holiday_region: str
    extra_closures: frozenset[date]
    timezone: str
    split_counts_from: SplitReviewBasis
    timescales: dict[str, Timescale]
    ir_warning_working_days: int
    stages: tuple[Stage, ...]
    reasons: tuple[str, ...]
    reasons_needing_text: frozenset[str]
    service_areas: tuple[str, ...]
    # Children aged 0 to 17 living in the authority, for the report's rate of children in care
    # per 10,000; None when the rules file does not give it (the rate is then not shown).
    child_population: int | None = None
    # The lists a review held is recorded against (the report counts by them): why a review
    # was late, why only its Part 1 could be held, where it was held. "Other" (with the words
    # typed) is always offered besides; empty lists mean only "Other".
    late_reasons: tuple[str, ...] = ()
    part1_reasons: tuple[str, ...] = ()
    localities: tuple[str, ...] = ()
    # Rules the file leaves out on purpose, each with the file's reason ([timescales_not_set]).
    not_set: dict[str, str] = field(default_factory=dict)

    def timescale(self, rule_id: str) -> Timescale:
        """The timescale of ``rule_id``; ``MissingTimescale`` (a ``DomainError`` whose message
        can be shown as it is) when the rules file leaves it out."""
        try:
            return self.timescales[rule_id]
        except KeyError:
            raise MissingTimescale(self, rule_id) from None

    def has_timescale(self, rule_id: str) -> bool:
        return rule_id in self.timescales

    @cached_property
    def calendar(self) -> WorkingDayCalendar:
        return _calendar(self.holiday_region, self.extra_closures)

    def stage(self, key: str) -> Stage:
        """The stage with this key (case-insensitive; "stage 2" and "2" both work)."""
        wanted = key.strip().lower().removeprefix("stage").strip()
        for stage in self.stages:
            if wanted in (stage.key.lower(), stage.name.lower()):
                return stage
        names = ", ".join(s.key for s in self.stages)
        raise RulesError(f"there is no IR stage {key!r}; the stages are {names}")

    def canonical_reason(self, label: str) -> str:
        """The rule-file label matching ``label`` case-insensitively."""
        for reason in self.reasons:
            if reason.lower() == label.strip().lower():
                return reason
        raise RulesError(f"{label!r} is not an IR reason in {self.source}")


@lru_cache(maxsize=8)
def _calendar(region: str, closures: frozenset[date]) -> WorkingDayCalendar:
    # Building a calendar takes a quarter of a second (70 years of holidays); rules files
    # loaded again (tests, reloads) with the same region and closures share one.
    return WorkingDayCalendar.for_region(region, closures)


# -- loading and validation ------------------------------------------------------------------


class _Reader:
    """Pulls typed values out of parsed TOML, raising RulesError that names the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> RulesError:
        return RulesError(f"rules file {self.source}: {key} {problem}")

    def table(self, data: dict[str, Any], key: str, path: str) -> dict[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            raise self.fail(f"{path}{key}", "is missing or is not a table")
        return value

    def text(self, data: dict[str, Any], key: str, path: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{path}{key}", f"must be non-empty text, got {value!r}")
        return value.strip()

    def whole(self, data: dict[str, Any], key: str, path: str, default: int | None = None) -> int:
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{path}{key}", f"must be a whole number of 0 or more, got {value!r}")
        return value

    def texts(self, data: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{path}{key}", "must be a list of non-empty texts")
        lowered = [v.lower() for v in value]
        dupes = sorted({v for v in lowered if lowered.count(v) > 1})
        if dupes:
            raise self.fail(f"{path}{key}", f"lists {dupes[0]!r} more than once")
        return tuple(value)

    def choice(self, data: dict[str, Any], key: str, path: str, enum: type[StrEnum],
               default: str | None = None) -> Any:  # fmt: skip
        value = data.get(key, default)
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(repr(e.value) for e in enum)
            raise self.fail(f"{path}{key}", f"must be one of {allowed}, got {value!r}") from None


def rules_path_for(name_or_path: str | Path | None) -> Path:
    """The file a ``--rules`` or ``IRO_RULES`` value names: a built-in name ("wales",
    "scotland", "northern-ireland", "west-berkshire", any case, "_" for "-") or a path; the
    West Berkshire default when empty."""
    if not name_or_path:
        return DEFAULT_RULES_PATH
    if isinstance(name_or_path, str):
        key = name_or_path.strip().lower().replace("_", "-").replace(" ", "-")
        if key in BUILT_IN_RULES:
            return BUILT_IN_RULES[key]
    return Path(name_or_path)


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Load and validate a rules file (the West Berkshire default when ``path`` is None).

    ``path`` may also name a built-in file: ``load_rules("wales")`` (``BUILT_IN_RULES``).
    """
    rules_path = rules_path_for(path)
    try:
        text = rules_path.read_text(encoding="utf-8")
    except OSError as exc:
        names = ", ".join(BUILT_IN_RULES)
        raise RulesError(
            f"cannot read rules file {rules_path}: {exc.strerror} (or give one of the built-in "
            f"rules by name: {names})"
        ) from None
    return parse_rules(text, source=rules_path.name)


def parse_rules(text: str, source: str = "<rules>") -> RuleSet:
    r = _Reader(source)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules file {source} is not valid TOML: {exc}") from None

    authority = r.table(data, "authority", "")
    region = r.text(authority, "holiday_region", "authority.", "ENG").upper()
    if region not in REGIONS:
        raise r.fail("authority.holiday_region", f"must be one of {', '.join(REGIONS)}")
    closures = authority.get("extra_closures", [])
    if not isinstance(closures, list) or not all(type(d) is date for d in closures):
        raise r.fail("authority.extra_closures", "must be a list of dates like 2026-12-29")

    reviews = data.get("reviews", {})
    split = r.choice(reviews, "split_counts_from", "reviews.", SplitReviewBasis, "part1")
    review_lists = {key: r.texts(reviews, key, "reviews.")
                    for key in ("late_reasons", "part1_reasons", "localities")}  # fmt: skip
    for key, labels in review_lists.items():
        if any(label.strip().lower() == "other" for label in labels):
            raise r.fail(f"reviews.{key}", 'lists "Other", which is always offered: leave it out')

    raw_scales = r.table(data, "timescales", "")
    not_set = _not_set(r, data, raw_scales)
    timescales: dict[str, Timescale] = {}
    for rule_id in KNOWN_RULES:
        if rule_id in raw_scales or rule_id in not_set:
            continue
        if rule_id in REQUIRED_RULES:
            raise r.fail(f"timescales.{rule_id}", "is missing: every file needs the review cycle")
        raise r.fail(
            f"timescales.{rule_id}",
            "is missing: give its timescale, or say why it is left out under [timescales_not_set]",
        )
    for rule_id, raw in raw_scales.items():
        path = f"timescales.{rule_id}."
        if not isinstance(raw, dict):
            raise r.fail(f"timescales.{rule_id}", "must be a table")
        episodes = r.whole(raw, "episodes", path) if "episodes" in raw else None
        timescales[rule_id] = Timescale(
            rule_id=rule_id,
            title=r.text(raw, "title", path),
            amount=r.whole(raw, "amount", path),
            unit=r.choice(raw, "unit", path, Unit),
            event=r.text(raw, "from", path),
            citation=r.text(raw, "citation", path),
            direction=r.choice(raw, "direction", path, Direction, "after"),
            episodes=episodes,
        )
    if "MISS-STRAT" in timescales and timescales["MISS-STRAT"].episodes is None:
        raise r.fail("timescales.MISS-STRAT.episodes", "is missing")

    ir = r.table(data, "issues_resolution", "")
    raw_stages = ir.get("stages")
    if not isinstance(raw_stages, list) or len(raw_stages) < 2:
        raise r.fail("issues_resolution.stages", "must list at least two stages, in order")
    stages: list[Stage] = []
    for i, raw in enumerate(raw_stages):
        path = f"issues_resolution.stages[{i}]."
        owner = r.text(raw, "owner_role", path)
        if owner not in OWNER_ROLES:
            raise r.fail(f"{path}owner_role", f"must be one of {', '.join(OWNER_ROLES)}")
        stages.append(
            Stage(
                key=r.text(raw, "key", path).lower(),
                name=r.text(raw, "name", path),
                owner_role=owner,
                owner_title=r.text(raw, "owner_title", path, owner.replace("_", " ")),
                order=i,
            )
        )
    keys = [s.key for s in stages]
    if len(set(keys)) != len(keys):
        raise r.fail("issues_resolution.stages", "has two stages with the same key")

    reasons_table = r.table(ir, "reasons", "issues_resolution.")
    reasons = r.texts(reasons_table, "labels", "issues_resolution.reasons.")
    if not reasons:
        raise r.fail("issues_resolution.reasons.labels", "must list at least one reason")
    needs_text = r.texts(reasons_table, "needs_text", "issues_resolution.reasons.")
    unknown = [t for t in needs_text if t not in reasons]
    if unknown:
        raise r.fail("issues_resolution.reasons.needs_text", f"names {unknown[0]!r}, not a reason")

    areas = r.texts(r.table(data, "service_areas", ""), "labels", "service_areas.")

    child_population = None
    if "child_population" in authority:
        child_population = r.whole(authority, "child_population", "authority.")
        if child_population == 0:
            raise r.fail("authority.child_population", "must be more than 0 (or left out)")

    return RuleSet(
        source=source,
        authority_name=r.text(authority, "name", "authority."),
        holiday_region=region,
        extra_closures=frozenset(closures),
        timezone=r.text(authority, "timezone", "authority.", "Europe/London"),
        split_counts_from=split,
        timescales=timescales,
        ir_warning_working_days=r.whole(ir, "warning_working_days", "issues_resolution.", 2),
        stages=tuple(stages),
        reasons=reasons,
        reasons_needing_text=frozenset(needs_text),
        service_areas=areas,
        child_population=child_population,
        **review_lists,
        not_set=not_set,
    )


def _not_set(r: _Reader, data: dict[str, Any], raw_scales: dict[str, Any]) -> dict[str, str]:
    """[timescales_not_set]: rules the file leaves out on purpose, each with its reason."""
    table = data.get("timescales_not_set", {})
    if not isinstance(table, dict):
        raise r.fail("timescales_not_set", 'must be a table of rule = "why it is not set"')
    for rule_id in table:
        path = f"timescales_not_set.{rule_id}"
        if rule_id in REQUIRED_RULES:
            raise r.fail(path, "cannot be left out: every file needs the review cycle")
        if rule_id not in OPTIONAL_RULES:
            raise r.fail(path, f"is not a rule; the rules are {', '.join(OPTIONAL_RULES)}")
        if rule_id in raw_scales:
            raise r.fail(path, "is also given under [timescales]: keep one of the two")
    return {rule_id: r.text(table, rule_id, "timescales_not_set.") for rule_id in table}
