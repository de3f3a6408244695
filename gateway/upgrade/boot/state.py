"""The upgrade state (``upgrade-state.json``) and its ``upgrade`` events.

``state`` is one of

``confirmed``           running a good version (``previous`` is the fallback)
``installing``          an install is switching (target in ``target``)
``installed``           switched, the new version has not started yet
``probation``           the new version started ``attempts`` times, not yet good
``rollback_requested``  the running agent asks the next boot_check to roll back
``rolling_back``        a rollback is under way
``rolled_back``         back on ``running`` after ``failed`` failed (``reason``)
"""

import json

from .files import (DEFAULT_MAX_ATTEMPTS, DEFAULT_PROBATION_S, MAX_EVENTS, MILESTONES, REASONS,
                    Layout, Lock, no_hook, write_atomic)


def load_state(layout):
    """The state dict, or None when there is none (or it is unreadable: a
    state file is only ever replaced whole, so that means someone else wrote
    it; the links are then the truth)."""
    try:
        with open(layout.state, "rb") as f:
            state = json.loads(f.read())
        return state if isinstance(state, dict) and "state" in state else None
    except (OSError, ValueError):
        return None


def save_state(layout, state, hook, step):
    hook(step)
    write_atomic(layout.state, json.dumps(state, sort_keys=True, indent=1).encode())


def new_state(running):
    return {"format": 1, "state": "confirmed", "running": running, "previous": None,
            "target": None, "failed": None, "reason": None, "attempts": 0,
            "max_attempts": DEFAULT_MAX_ATTEMPTS, "probation_s": DEFAULT_PROBATION_S,
            "deadline": None, "required": list(MILESTONES), "milestones": {},
            "store_path": None, "store_backup": None, "since": None, "events": [],
            "next_event": 1}


def add_event(state, clock, result, version, reason=None, **extra):
    ev = {"id": state.get("next_event", 1), "ts": clock.time(), "result": result,
          "version": version}
    if reason:
        ev["reason"] = reason
        ev["message"] = REASONS.get(reason, reason)
    ev.update(extra)
    state["next_event"] = ev["id"] + 1
    state["events"] = (state.get("events") or [])[-(MAX_EVENTS - 1):] + [ev]
    return ev


def pending_events(prefix):
    """The ``upgrade`` events not yet raised (dicts with ``id``, ``ts``,
    ``result`` installed/confirmed/rolled_back, ``version``, ``reason``...)."""
    state = load_state(Layout(prefix))
    return list((state or {}).get("events") or [])


def clear_events(prefix, upto):
    """Forget the events up to id ``upto`` (after the agent raised them)."""
    layout = Layout(prefix)
    with Lock(layout):
        state = load_state(layout)
        if state and state.get("events"):
            state["events"] = [e for e in state["events"] if e["id"] > upto]
            save_state(layout, state, no_hook, "state:events")



def clock_guard(state, now):
    """A board whose clock is behind the install time (reset at power-up,
    not yet set) would misjudge the deadline: count it from now instead."""
    since = state.get("since")
    if since is not None and now < since - 60 and state.get("deadline") is not None:
        state["deadline"] = now + float(state.get("probation_s") or DEFAULT_PROBATION_S)
        state["since"] = now

