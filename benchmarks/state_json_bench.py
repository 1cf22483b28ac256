"""CPU per call of writing and reading the conversation state: jsonpickle against
``bot/state_json.py``, and the store's whole ``_serialise``/``_deserialise``.

Run: `.venv/bin/python -m benchmarks.state_json_bench [--n 2000] [--repeat 5]`

Microseconds of this thread's CPU per call, the best of ``--repeat`` runs of ``--n`` calls
(``model_json_bench.per_call``). The states are the two shapes a bot turn stores:

- after a "next review" answer: the memory (the last intent and child's ids) and an empty stack;
- inside the raise-IR dialog, asking for the reasons: three dialogs deep, the reasons card as
  the prompt (the demo's 13 reasons), the staff member in the options, shared by two dialogs.
"""

from __future__ import annotations

import json

from botbuilder.dialogs import DialogInstance, DialogState
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from benchmarks.model_json_bench import per_call, per_call_options
from bot import state_json
from bot.state import _deserialise, _serialise
from cards.ir import reasons_card
from domain.rules import load_rules


def next_review_state() -> dict[str, object]:
    return {
        "IroMemory": {"last_intent": "NEXT_REVIEW", "last_child": {"pk": 24, "child_id": "C24"}},
        "DialogState": DialogState(),
    }


def raise_ir_state() -> dict[str, object]:
    staff = {
        "id": 5, "email": "alexw@example.com", "display_name": "Alex Wilber", "role": "iro",
        "service_area": None, "aad_object_id": "00000000-0000-0000-0000-000000000020",
        "teams_user_id": None, "manager_id": 3, "delegate_id": None, "active": True,
    }  # fmt: skip
    options = {
        "staff": staff, "child_pk": 24, "child_text": "Amelie Hughes-Parry", "date": None,
        "part": None, "reason": None, "stage": None, "reasons": [],
    }  # fmt: skip
    reasons = load_rules().reasons
    prompt = {
        "card": reasons_card("Amelie Hughes-Parry", reasons),
        "text": "Why are you raising an IR? " + "\n".join(reasons),
    }
    asking = DialogInstance("raise_ir.reasons", {
        "options": {"prompt": prompt, "data": {}}, "attempts": 0,
        "nonce": "8b1c5d280f27494699e077d134eefb1d", "asked_after": "40f771f61c9f808f",
    })  # fmt: skip
    steps = DialogInstance("raise_ir.steps", {
        "options": options, "values": {}, "instanceId": "1e127120-e9b1", "stepIndex": 1,
    })  # fmt: skip
    outer = DialogInstance(
        "raise_ir", {"dialogs": DialogState([asking, steps]), "options": options}
    )
    return {
        "IroMemory": {"last_intent": "RAISE_IR", "last_child": {"pk": 24, "child_id": "C24"}},
        "DialogState": DialogState([outer]),
    }


def main() -> None:
    n, repeat = per_call_options(__doc__)
    print(
        "| state | JSON bytes | write: jsonpickle | state_json | _serialise "
        "| read: jsonpickle | state_json | _deserialise |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, state in (("next review", next_review_state()), ("raise-IR", raise_ir_state())):
        text = _serialise("key", state)
        # The walker's answer is jsonpickle's, or this comparison is meaningless.
        assert json.dumps(state_json.flatten(state), ensure_ascii=False) == text
        timings = [
            per_call(lambda s=state: Pickler().flatten(s), n, repeat),
            per_call(lambda s=state: state_json.flatten(s), n, repeat),
            per_call(lambda s=state: _serialise("key", s), n, repeat),
            per_call(lambda t=text: Unpickler(safe=True).restore(json.loads(t)), n, repeat),
            per_call(lambda t=text: state_json.restore(json.loads(t)), n, repeat),
            per_call(lambda t=text: _deserialise(t, "etag"), n, repeat),
        ]
        print(
            f"| {name} | {len(text.encode())} | " + " | ".join(f"{t:.1f}" for t in timings) + " |"
        )


if __name__ == "__main__":
    main()
