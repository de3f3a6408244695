"""The running agent's side of probation (docs/upgrade.md, Probation)."""

from .files import MILESTONES, Layout, Lock, clean, drop_backup, no_hook
from .state import add_event, clock_guard, load_state, save_state


class Probation:
    """The running agent's side of probation.  After ``boot_check`` the agent
    makes one and reports milestones: ``milestone("started")`` when it runs,
    ``milestone("reading_round")`` after a complete reading round,
    ``milestone("batch_acked")`` when a batch was acknowledged upstream.
    When every required milestone is in, the version is confirmed (the
    store copy is dropped, the old release stays as fallback, older ones
    are deleted) and the
    ``confirmed`` event is returned.  ``check()`` (call it now and then, e.g.
    with the heartbeat) and ``fail(reason)`` request a rollback and return
    True: the agent must then restart (exit non-zero under systemd), and the
    next boot_check switches back."""

    def __init__(self, prefix, clock, hook=None):
        self.layout = Layout(prefix)
        self.clock = clock
        self.hook = hook or no_hook

    @property
    def active(self):
        state = load_state(self.layout)
        return bool(state) and state.get("state") in ("installed", "probation")

    def milestone(self, name):
        if name not in MILESTONES:
            raise ValueError("unknown milestone %r; known: %s" % (name, ", ".join(MILESTONES)))
        with Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation":
                return None
            state.setdefault("milestones", {}).setdefault(name, self.clock.time())
            missing = [m for m in state.get("required") or () if m not in state["milestones"]]
            if missing:
                save_state(self.layout, state, self.hook, "state:milestone")
                return None
            state.update(state="confirmed", reason=None, attempts=0, deadline=None,
                         store_backup=None, target=None)
            ev = add_event(state, self.clock, "confirmed", state.get("running"),
                        previous=state.get("previous"))
            save_state(self.layout, state, self.hook, "state:confirmed")
            drop_backup(self.layout, self.hook)
            # flash is small: only the good version and its fallback stay
            clean(self.layout, {state.get("running"), state.get("previous")} - {None},
                   self.hook)
            return ev

    def check(self):
        with Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation":
                return False
            before = (state.get("deadline"), state.get("since"))
            clock_guard(state, self.clock.time())
            if (state.get("deadline"), state.get("since")) != before:
                save_state(self.layout, state, self.hook, "state:clock")
            if state.get("deadline") is not None and self.clock.time() > state["deadline"]:
                state.update(state="rollback_requested", reason="probation_expired")
                save_state(self.layout, state, self.hook, "state:rollback_requested")
                return True
            return False

    def clock_set(self, delta):
        """The agent set its clock by ``delta`` seconds (NTP, the master
        station): move the probation deadline with it, so that a clock put
        right after a power-up is not taken for a hang."""
        with Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") != "probation" or state.get("deadline") is None:
                return
            state["deadline"] += delta
            if state.get("since") is not None:
                state["since"] += delta
            save_state(self.layout, state, self.hook, "state:clock")

    def fail(self, reason="probation_failed", detail=None):
        with Lock(self.layout):
            state = load_state(self.layout)
            if not state or state.get("state") not in ("installed", "probation"):
                return False
            state.update(state="rollback_requested", reason=reason, detail=detail)
            save_state(self.layout, state, self.hook, "state:rollback_requested")
            return True
