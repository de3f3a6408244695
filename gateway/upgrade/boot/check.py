"""The boot check, run at every start before the agent (systemd's
ExecStartPre, from the copy outside the releases): finish or undo an
interrupted install or rollback, count a start on probation, roll back a
version that crashed, hung or failed; and the console's rollback and status."""

import os

from .files import (CURRENT, PREVIOUS, DEFAULT_PROBATION_S, InstallError, Layout, Lock,
                    backup_store, complete_releases, drop_backup, is_complete, link_version,
                    no_hook, remove_link, restore_store, switch_link)
from .state import add_event, clock_guard, load_state, new_state, save_state


def boot_check(prefix, clock, hook=None):
    """Run at every start of the agent, before it starts (systemd
    ExecStartPre, or first thing in ``concentrator run``): finish or undo an
    interrupted install or rollback, count the start attempt of a version on
    probation, roll back when it ran out of attempts or time.

    Returns a dict: ``action`` (``none``: no release; ``ok``; ``installed``:
    first start of a new version; ``probation``: a later start on probation;
    ``rolled_back``; ``repaired``), ``version`` (the one to start),
    ``reason``, ``attempt``.  The matching ``upgrade`` events wait in the state
    (``pending_events``) for the agent to raise them."""
    hook = hook or no_hook
    layout = Layout(prefix)
    if not os.path.isdir(layout.prefix):
        return {"action": "none", "version": None}
    with Lock(layout):
        return _boot_check(layout, clock, hook)


def _boot_check(layout, clock, hook):
    for name in (CURRENT, PREVIOUS):
        tmp = layout.link("." + name + ".new")
        if os.path.lexists(tmp):
            os.unlink(tmp)
    state = load_state(layout)
    cur = link_version(layout, CURRENT)
    if cur is None:
        return _repair(layout, state, clock, hook)
    if state is None:
        state = new_state(cur)
        state["previous"] = link_version(layout, PREVIOUS)
        save_state(layout, state, hook, "state:init")
        return {"action": "ok", "version": cur}
    s = state.get("state")
    if s == "installing":
        if cur != state.get("target"):
            state.update(state="confirmed", running=cur, target=None, reason="install_interrupted")
            add_event(state, clock, "rolled_back", cur, "install_interrupted",
                   failed=state.get("target"))
            save_state(layout, state, hook, "state:interrupted")
            return {"action": "rolled_back", "version": cur, "reason": "install_interrupted"}
        state.update(state="installed", running=cur, previous=link_version(layout, PREVIOUS))
        s = "installed"
    if s in ("rollback_requested", "rolling_back"):
        return roll_back(layout, state, clock, state.get("reason") or "manual", hook)
    if s in ("installed", "probation"):
        now = clock.time()
        clock_guard(state, now)
        if s == "probation" and state.get("deadline") is not None and now > state["deadline"]:
            return roll_back(layout, state, clock, "probation_expired", hook)
        if int(state.get("attempts") or 0) >= int(state.get("max_attempts") or 1):
            return roll_back(layout, state, clock, "crashed_at_start", hook)
        first = s == "installed"
        if first:
            state["store_backup"] = backup_store(layout, state, hook)
            state["deadline"] = now + float(state.get("probation_s") or DEFAULT_PROBATION_S)
            add_event(state, clock, "installed", cur, previous=state.get("previous"))
        state.update(state="probation", running=cur, attempts=int(state.get("attempts") or 0) + 1)
        save_state(layout, state, hook, "state:attempt")
        return {"action": "installed" if first else "probation", "version": cur,
                "attempt": state["attempts"], "max_attempts": state["max_attempts"],
                "deadline": state["deadline"]}
    return {"action": "ok", "version": cur}




def _repair(layout, state, clock, hook):
    """``current`` is missing or points to an incomplete release: link the
    fallback (or the newest complete release)."""
    candidates = [v for v in ((state or {}).get("previous"), link_version(layout, PREVIOUS),
                              (state or {}).get("running")) if v]
    candidates += list(reversed(complete_releases(layout)))
    for version in candidates:
        if is_complete(layout.release(version)):
            switch_link(layout, CURRENT, version, hook, "link:current")
            state = state or new_state(version)
            state.update(state="confirmed", running=version, target=None,
                         reason="current_missing")
            add_event(state, clock, "rolled_back", version, "current_missing")
            save_state(layout, state, hook, "state:repaired")
            return {"action": "repaired", "version": version, "reason": "current_missing"}
    return {"action": "none", "version": None}


def roll_back(layout, state, clock, reason, hook):
    fallback = state.get("previous")
    failed = state.get("running")
    if not fallback or not is_complete(layout.release(fallback)):
        state.update(state="confirmed", reason="no_fallback")
        save_state(layout, state, hook, "state:no_fallback")
        return {"action": "ok", "version": link_version(layout, CURRENT),
                "reason": "no_fallback"}
    if state.get("state") != "rolling_back":
        state.update(state="rolling_back", reason=reason)
        save_state(layout, state, hook, "state:rolling_back")
    restore_store(layout, state.get("store_backup"), hook)
    switch_link(layout, CURRENT, fallback, hook, "link:current")         # the commit point
    remove_link(layout, PREVIOUS, hook, "link:previous:remove")
    state.update(state="rolled_back", running=fallback, previous=None, failed=failed,
                 target=None, reason=reason, attempts=0, deadline=None, store_backup=None)
    add_event(state, clock, "rolled_back", fallback, reason, failed=failed)
    save_state(layout, state, hook, "state:rolled_back")
    drop_backup(layout, hook)
    return {"action": "rolled_back", "version": fallback, "failed": failed, "reason": reason}



def rollback(prefix, clock, reason="manual", now=False, hook=None):
    """Go back to the previous release.  ``now=False`` (the agent runs):
    mark the rollback, done by the next boot_check (restart the agent).
    ``now=True`` (the agent is stopped): switch at once.  Returns a dict."""
    hook = hook or no_hook
    layout = Layout(prefix)
    with Lock(layout):
        state = load_state(layout)
        cur = link_version(layout, CURRENT)
        fallback = (state or {}).get("previous") or link_version(layout, PREVIOUS)
        if cur is None or not fallback or not is_complete(layout.release(fallback)):
            raise InstallError("no_previous", "there is no previous release to go back to")
        state = state or new_state(cur)
        state.update(previous=fallback, running=cur)
        if not now:
            state.update(state="rollback_requested", reason=reason)
            save_state(layout, state, hook, "state:rollback_requested")
            return {"action": "rollback_requested", "version": fallback, "failed": cur}
        return roll_back(layout, state, clock, reason, hook)


def status(prefix):
    """The upgrade state for the console and ``upgrade.status``."""
    layout = Layout(prefix)
    state = load_state(layout) or {}
    out = {k: state.get(k) for k in ("state", "running", "previous", "target", "failed",
                                     "reason", "attempts", "max_attempts", "deadline",
                                     "required", "milestones", "since")}
    out["current"] = link_version(layout, CURRENT)
    out["releases"] = complete_releases(layout)
    out["events"] = len(state.get("events") or ())
    return out
