"""Language understanding: corpus accuracy, and microseconds per understand() / resolve_child().

Run: `.venv/bin/python -m benchmarks.understanding_bench [--rounds 20]`

Prints, as Markdown for BENCHMARKS.md:
- intent, child-resolution and entity accuracy over tests/unit/utterances.json (per intent, and
  every failure), the same for the held-out set, and for the corpus without the user's known
  names in the context;
- understand(): p50/p99 µs per call over every corpus message (warm: each message seen once
  before timing, as in a running bot), and per typical message; the first call in a fresh
  process; the dateparser fallback cold and memoised;
- resolve_child(): index build and p50/p99 µs per call at 80, 500 and 10,000 candidates, for a
  mix of references (full name, given name only, typo, family name, prefix, unknown, child id).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

from understanding import (
    ChildCandidate,
    ChildIndex,
    ConversationContext,
    resolve_child,
    understand,
)
from understanding.dates import Direction, dateparser_date

GIVEN = """Jamie Liam Aisha Mohammed Olivia Renée Tyler Chloe Noah Amelia Kai Łucja Siobhán Oisín
Mia Ella-Rose Harry Priya Leo Freya Callum Jayden Ruby Alfie Sophie Sofia Ethan Grace Will Hope
Archie Isla Mason Max Ava Jack Lily-Mae Daniel Alexander Alexandra Oliver George Arthur Muhammad
Theo Oscar Charlie Jacob Thomas Henry William Isaac Joshua Alfie Lucas Finley Teddy Reggie
Olivia Amelia Isla Ava Ivy Florence Lily Rosie Evie Poppy Isabella Willow Elsie Sienna Phoebe
Daisy Zoë Maya Aaliyah Fatima Zainab Amira Hana Yusuf Ibrahim Omar Ali Kacper Jakub Zuzanna
Maja Oluwaseun Chidi Adaeze Kwame Ama Tariq Imran Ravi Anjali Deepak Nia Kayden Tyreese Shannon
Bethany Courtney Jordan Reece Kieran Ciara Niamh Seán Aoife Dylan Rhys Cerys Ffion Gethin
Mary-Jane Anne-Marie Jean-Luc Chloé Noémie Zoé Léa Mateo Santiago Lucía Björn Søren""".split()  # noqa: SIM905
FAMILY = """Smith O'Neil Clarke O'Brien Khan Smith-Jones D'Arcy Brown Williams Wright Nowak
Kowalska Murphy Kelly Evans Thompson Patel Fitzgerald McDonald MacDonald Okafor Hughes Green
Turner Ahmed Hall Parker Adeyemi Robinson Campbell Clark Müller Johnson Taylor Hartley Novak
Reid Jones Davies Wilson Roberts Walker White Edwards Thomas Lewis Jackson Wood Harris Martin
Cooper King Lee Baker Harrison Morgan Allen James Scott Phillips Watson Davis Ward Young
Mitchell Anderson Hussain Begum Ali Rahman Akhtar Mahmood Iqbal Chowdhury Miah Singh Kaur Sharma
Gill Okoro Mensah Owusu Boateng Adebayo Nwosu Kamara Wiśniewski Lewandowska Dąbrowski Kamiński
O'Sullivan O'Connor McCarthy Ó_Súilleabháin Mac_Giolla Byrne Doyle Quinn Gallagher Ní_Bhriain
Price-Jones Lloyd-Webber Bowes-Lyon Ferguson MacLeod Morrison Fraser Stewart Burns Duffy
Fernández García Dubois Lefèvre Björk Sørensen Nguyen Tran Chen Wang Li Zhang Kaya Yılmaz""".split()  # noqa: SIM905
FAMILY = [f.replace("_", " ") for f in FAMILY]

TODAY = date(2026, 11, 26)

TYPICAL = {
    "next review": "When is Jamie Smith's next review?",
    "next review, typo": "wen is jamie smyth's next reveiw due",
    "what's due this fortnight": "what's due this fortnight",
    "overdue": "anything overdue?",
    "book with a date": "book Jamie Smith's review for next Tuesday",
    "record with part and reason": "held part 1 of Kai's review on Tuesday, late because of a move",
    "bring forward": "bring her review forward to 1st December because of a planned move",
    "raise IR with reasons": "raise IR for liam obrien at stage 1 - no advocate",
    "IR status": "whats happening with ir 2026 42",
    "cancel (a dialog step)": "cancel",
}


def synthetic_caseload(n: int, seed: int = 20261126) -> tuple[ChildCandidate, ...]:
    """``n`` children with UK names drawn from common given and family names (with accents,
    apostrophes and hyphens), so names repeat as they do in a real authority."""
    rng = random.Random(seed)
    return tuple(
        ChildCandidate(i + 1, f"C{200000 + i:06d}", rng.choice(GIVEN), rng.choice(FAMILY))
        for i in range(n)
    )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def time_calls(calls: list[Callable[[], object]], rounds: int, cpu: bool = False) -> list[float]:
    """µs per call, each call timed on its own, ``rounds`` times over the list.

    ``cpu``: this thread's CPU time rather than wall-clock time. On a shared, loaded machine
    the wall-clock p99 is mostly time spent descheduled; CPU time shows what the code costs.
    """
    clock = time.thread_time_ns if cpu else time.perf_counter_ns
    for call in calls:
        call()  # warm: memoised typo mending, name lookups and regexes, as in a running bot
    samples: list[float] = []
    for _ in range(rounds):
        for call in calls:
            start = clock()
            call()
            samples.append((clock() - start) / 1000)
    return samples


def both(calls: list[Callable[[], object]], rounds: int) -> str:
    """ "wall p50 | wall p99 | cpu p50 | cpu p99" table cells."""
    wall = percentiles(time_calls(calls, rounds))
    cpu = percentiles(time_calls(calls, rounds, cpu=True))
    return f"{wall[0]:,.0f} | {wall[1]:,.0f} | {cpu[0]:,.0f} | {cpu[1]:,.0f}"


def _pct(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} ({right / total:.1%})"


def accuracy_section() -> None:
    from tests.unit.test_understanding import evaluate_corpus

    report = evaluate_corpus()
    print("### Accuracy: tests/unit/utterances.json (the corpus, written before tuning)\n")
    print(f"- intent: **{_pct(report.intent)}**")
    print(
        f"- child resolution (rows where a child is expected or one was found): "
        f"**{_pct(report.child)}**"
    )
    print(
        f"- entities, every checked entity right: {_pct(report.entities)} of all rows; "
        f"{_pct(report.entities_where_expected)} of rows that expect an entity\n"
    )
    print("| intent | right |\n|---|---:|")
    for intent, pair in report.per_intent().items():
        print(f"| {intent} | {_pct(pair)} |")
    failures = report.failures()
    print(f"\nFailures ({len(failures)}):" + ("" if failures else " none."))
    for line in failures:
        print(f"- {line}")

    held = evaluate_corpus(holdout=True)
    print(
        "\n### Accuracy: tests/unit/utterances.holdout.json (written after tuning, not tuned "
        "against)\n"
    )
    print(
        f"- intent: **{_pct(held.intent)}**; child resolution: **{_pct(held.child)}**; "
        f"entities: {_pct(held.entities)} of rows\n"
    )
    print("| intent | right |\n|---|---:|")
    for intent, pair in held.per_intent().items():
        print(f"| {intent} | {_pct(pair)} |")
    print("\nFailures:")
    for line in held.failures():
        print(f"- {line}")

    from tests.unit.test_understanding import HOLDOUT17

    held17 = evaluate_corpus(corpus=HOLDOUT17)
    print(
        "\n### Accuracy: tests/unit/utterances.holdout17.json (issue 17: written before the "
        "recogniser was tuned for it, never tuned against)\n"
    )
    print(
        f"- intent: **{_pct(held17.intent)}**; child resolution: **{_pct(held17.child)}**; "
        f"entities (the ones each item labels): {_pct(held17.entities)} of rows; typed while "
        f"a dialog waits, told right (another request, or its answer): "
        f"**{_pct(held17.interruptions)}**\n"
    )
    print("| intent | right |\n|---|---:|")
    for intent, pair in held17.per_intent().items():
        print(f"| {intent} | {_pct(pair)} |")
    print("\nFailures:")
    for line in held17.failures():
        print(f"- {line}")

    bare = evaluate_corpus(known_names=False)
    print("\n### The corpus without `known_names` in the context\n")
    print(
        f"- intent {_pct(bare.intent)}; child {_pct(bare.child)}; entities "
        f"{_pct(bare.entities)}. Failures:"
    )
    for line in bare.failures():
        print(f"- {line}")


def understand_section(rounds: int) -> None:
    from tests.unit.test_understanding import CORPUS, INDEX

    print("\n### understand(): µs per call\n")
    texts = [item["text"] for item in CORPUS["utterances"]]
    print("| messages | known names in context | calls | wall p50 | wall p99 | CPU p50 | CPU p99 |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, names in (
        ("42-child caseload", INDEX.name_tokens),
        ("10,000-child caseload", ChildIndex.build(synthetic_caseload(10_000)).name_tokens),
    ):
        context = ConversationContext(known_names=names)
        calls = [lambda t=t, c=context: understand(t, TODAY, c) for t in texts]
        print(
            f"| all {len(texts)} corpus messages | {label} | {len(texts) * rounds:,} | "
            f"{both(calls, rounds)} |"
        )

    context = ConversationContext(known_names=INDEX.name_tokens)
    print("\n| typical message | wall p50 | wall p99 | CPU p50 | CPU p99 |")
    print("|---|---:|---:|---:|---:|")
    for label, text in TYPICAL.items():
        print(
            f"| {label}: `{text}` | "
            f"{both([lambda t=text: understand(t, TODAY, context)], rounds * 10)} |"
        )

    code = (
        "import time; t0 = time.perf_counter(); from datetime import date; "
        "from understanding import understand; t1 = time.perf_counter(); "
        'understand("When is Jamie Smith\'s next review?", date(2026, 11, 26)); '
        "t2 = time.perf_counter(); print(f'{(t1 - t0) * 1000:.0f} {(t2 - t1) * 1000:.0f}')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import_ms, first_ms = out.stdout.split()
    print(
        f"\nFresh process: importing understanding {import_ms} ms; the first understand() "
        f"{first_ms} ms (loads the rules file, compiles patterns)."
    )

    phrase = "december, 2026 on 4"  # a form only the dateparser fallback reads
    start = time.perf_counter()
    dateparser_date(phrase, TODAY, Direction.FUTURE)  # first use imports dateparser
    cold = (time.perf_counter() - start) * 1000
    uncached = []
    for k in range(20):  # distinct keys: each a real dateparser call
        start = time.perf_counter()
        dateparser_date(f"december, 2026 on {k + 1}", date(2030, 1, 1), Direction.FUTURE)
        uncached.append((time.perf_counter() - start) * 1000)
    p50_dp, p99_dp = percentiles(uncached)
    cached = percentiles(
        time_calls([lambda: dateparser_date(phrase, TODAY, Direction.FUTURE)], rounds * 10)
    )
    print(
        f"dateparser fallback: first use {cold:.0f} ms (imports dateparser); a new phrase "
        f"p50 {p50_dp:.1f} ms, p99 {p99_dp:.1f} ms; a memoised phrase p50 {cached[0]:.1f} µs."
    )


def resolve_section(rounds: int) -> None:
    print("\n### resolve_child(): µs per call\n")
    print(
        "| candidates | index build ms | wall p50 | wall p99 | CPU p50 | CPU p99 "
        "| wall p50, a list passed (index rebuilt each call) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    rng = random.Random(7)
    for n in (80, 500, 10_000):
        caseload = synthetic_caseload(n)
        start = time.perf_counter()
        index = ChildIndex.build(caseload)
        build_ms = (time.perf_counter() - start) * 1000
        sample = rng.sample(caseload, 10)
        references = []
        for child in sample:
            given, family = child.given_name or "", child.family_name or ""
            typo = family[:2] + family[3:] if len(family) > 4 else family + "e"
            references += [
                f"{given} {family}",
                given,
                f"{given} {typo}",
                family,
                given[:4],
                child.child_id,
            ]
        references += ["Bartholomew Finch", "Penelope", "zzzz"]  # NONE, with suggestions
        calls = [lambda r=r, i=index: resolve_child(r, i) for r in references]
        as_list = list(caseload)
        rebuilt = time_calls([lambda r=references[0], c=as_list: resolve_child(r, c)], 3)
        print(
            f"| {n:,} | {build_ms:.1f} | {both(calls, rounds)} | {percentiles(rebuilt)[0]:,.0f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    gc.collect()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f} at the start, {date.today().isoformat()}. Times in µs.\n"
    )
    if not args.skip_accuracy:
        accuracy_section()
    understand_section(args.rounds)
    resolve_section(args.rounds)


if __name__ == "__main__":
    main()
