"""The one check of who may run what, the console's sessions, and the login log.

``Authority.identify(meta)`` and ``check(row, args, meta)`` run in
``Operations.call`` before any op, on every face; the principal comes from
``meta`` (built by the face, never by the caller):

``console``  the session of ``meta["token"]`` (``concentrator login``); without
             one, only ``status``, ``data`` and ``events.query``, and only
             while ``access.anonymous_view`` is true.
``lcd``      the operator whose password was typed on the keys
             (``meta["user"]``); without one, the ops that only look.
``mqtt``     the master station, with the role ``access.master_role``.

and refuses with ``unauthorized`` naming the missing permission.  An operator
limited to areas or ports (data-level permission) is refused an op on other
meters, or on all of them, rather than shown a part silently.

Sessions: a random token, kept in the store's state as its SHA-256 only,
ends after ``access.session_idle_min`` unused (the injected clock).  Logins:
``access.lockout_failures`` failures in a row lock the operator out for
``access.lockout_min`` minutes; each failure raises ``login_failed``, a
lockout ``user_locked``; the login log gets logins, logouts, expiries,
failures and lockouts, each with from where.
"""

import hashlib
import secrets

from gateway.auth import passwords, roles
from upstream.errors import CommandError

SESSION = "session."
FAILURES = "login.failures."
TOUCH_EVERY_S = 30              # a session's last use is written at most this often


def unauthorized(message):
    return CommandError("unauthorized", message)


def _digest(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Authority:
    def __init__(self, operators, store, params, clock, archive=None):
        self.operators = operators
        self.store = store
        self.params = params
        self.clock = clock
        self.archive = archive

    def _p(self, key):
        return self.params.get(key)

    # ------------------------------------------------------------ roles
    def role_permissions(self, role):
        """The permissions of ``role`` (a made one overrides a built-in but ``super``)."""
        made = self.operators.roles().get(role)
        if made is not None and role not in roles.FIXED:
            return tuple(made["permissions"])
        return roles.BUILTIN.get(role)

    def all_roles(self):
        out = {}
        for name, perms in roles.BUILTIN.items():
            out[name] = {"name": name, "permissions": list(perms), "builtin": True}
        for name, rec in self.operators.roles().items():
            if name in roles.FIXED:
                continue
            out[name] = {"name": name, "permissions": list(rec["permissions"]),
                         "builtin": name in roles.BUILTIN}
        return [out[k] for k in sorted(out)]

    # ------------------------------------------------------- principals
    def _operator_principal(self, rec):
        perms = self.role_permissions(rec["role"]) or ()
        return {"name": rec["name"], "kind": "operator", "role": rec["role"],
                "department": rec.get("department", ""), "areas": list(rec.get("areas") or []),
                "ports": list(rec.get("ports") or []), "permissions": perms}

    def principal(self, meta):
        """(principal or None, why there is none)."""
        source = meta.get("source")
        if source == "mqtt":
            role = self._p("access.master_role")
            return {"name": "master", "kind": "master", "role": role, "department": "",
                    "areas": [], "ports": [],
                    "permissions": self.role_permissions(role) or ()}, None
        if source == "lcd":
            rec = self.operators.get(meta["user"]) if meta.get("user") else None
            if rec is not None and rec.get("state") == "active":
                return self._operator_principal(rec), None
            return None, "log in with an operator's password on the keys"
        if source == "console":
            token = meta.get("token")
            if not token:
                if not self.operators.count():
                    return None, ("no operator exists yet: create the first super administrator "
                                  "on the board with concentrator users init")
                return None, "log in first: concentrator login NAME"
            rec, why = self.session(token)
            if rec is None:
                return None, why
            return self._operator_principal(rec), None
        return None, "requests from %r are not accepted" % (source,)

    def identify(self, meta):
        """``meta`` with ``principal`` (None: nobody), ``user`` and ``where``."""
        p, why = self.principal(meta)
        meta = dict(meta)
        meta["principal"], meta["why"] = p, why
        if p is not None:
            meta["user"] = p["name"]
        else:
            meta.pop("user", None)
        if meta.get("source") == "mqtt":
            meta.setdefault("where", "mqtt command %s" % meta.get("id"))
        meta.setdefault("where", meta.get("source") or "unknown")
        return meta

    def check(self, row, args, meta):
        """Nothing when the principal of ``meta`` (``identify``) may run the op
        of ``row`` with ``args``; else ``unauthorized``."""
        p = meta.get("principal")
        if p is None:
            if row.permission == roles.EVERYONE:
                return
            if meta.get("source") == "lcd" and roles.is_view(row):
                return
            if meta.get("source") == "console" and row.name in roles.ANONYMOUS_VIEW and \
                    self._p("access.anonymous_view"):
                return          # status says so when no operator exists yet
            raise _refusal(row, meta.get("why") or "log in first")
        if not roles.grants(p["permissions"], row):
            raise unauthorized("%s needs the permission %s (or %s itself), which role %s of %s "
                               "does not grant: ask an administrator (concentrator users roles)"
                               % (row.name, roles.missing(row), row.name, p["role"], p["name"]))
        self._check_meters(p, row, args)

    # ------------------------------------------------------- data level
    def _check_meters(self, p, row, args):
        if not (p["areas"] or p["ports"]) or not row.meters or self.archive is None:
            return
        limit = "areas %s" % ", ".join(p["areas"]) if p["areas"] else ""
        if p["ports"]:
            limit += (" and " if limit else "") + "ports %s" % ", ".join(p["ports"])
        args = args if isinstance(args, dict) else {}
        value = args.get(row.meters) if row.meters not in ("all",) else None
        if value is None or value == "all":
            raise unauthorized("%s is limited to meters of %s: %s on every meter is refused; "
                               "name the meters" % (p["name"], limit, row.name))
        items = value if isinstance(value, list) else [value]
        outside = []
        for item in items:
            rec = item if isinstance(item, dict) else None
            mid = item if isinstance(item, str) else (rec or {}).get("id")
            stored = self.archive.get(mid) if isinstance(mid, str) else None
            for r in (stored, rec):
                if r is not None and not self._within(p, r):
                    outside.append(str(mid or r.get("address")))
                    break
        if outside:
            raise unauthorized("%s is limited to meters of %s: %s is refused for meter%s %s"
                               % (p["name"], limit, row.name, "s" if len(outside) > 1 else "",
                                  ", ".join(dict.fromkeys(outside))))

    @staticmethod
    def _within(p, record):
        if p["areas"] and "area" in record and record.get("area") not in p["areas"]:
            return False
        if p["ports"] and "port" in record and record.get("port") not in p["ports"]:
            return False
        return True

    # --------------------------------------------------------- sessions
    def session(self, token):
        """(operator record, None) for a live session, or (None, why)."""
        key = SESSION + _digest(token)
        s = self.store.get_state(key)
        if s is None:
            return None, "the session is not known (ended or never opened): concentrator login"
        now = self.clock.time()
        idle = int(self._p("access.session_idle_min")) * 60
        rec = self.operators.get(s["user"])
        if now - s["last"] > idle or rec is None or rec.get("state") != "active":
            self.store.del_state(key)
            end = min(now, s["last"] + idle)
            reason = "expired after %d min unused" % (idle // 60) if rec else "operator removed"
            self._log("session of %s ended: %s" % (s["user"], reason), s["user"], s["where"],
                      {"event": "expired", "since": s["since"], "until": int(end)})
            return None, "the session of %s %s: concentrator login" % (s["user"], reason)
        if now - s["last"] >= TOUCH_EVERY_S:
            s["last"] = now
            self.store.set_state(key, s)
        return rec, None

    def login(self, name, password, where):
        now = self.clock.time()
        rec = self.operators.get(name) if isinstance(name, str) else None
        fails = self.store.get_state(FAILURES + str(name)) or {"count": 0, "until": 0}
        if rec is not None and fails["until"] > now:
            self._failed(name, where, "locked out for %d more s" % (fails["until"] - now),
                         locked=True)
            raise unauthorized("%s is locked out after %d failed logins until %d s from now: "
                               "wait, or ask an administrator"
                               % (name, int(self._p("access.lockout_failures")),
                                  int(fails["until"] - now)))
        if rec is None or rec.get("state") != "active" or \
                not passwords.verify(rec.get("password"), password):
            why = "no such operator" if rec is None else (
                "operator disabled" if rec.get("state") != "active" else "wrong password")
            self._failed(name, where, why)
            if rec is not None and why == "wrong password":
                count = (0 if fails["until"] else fails["count"]) + 1
                if count >= int(self._p("access.lockout_failures")):
                    until = now + int(self._p("access.lockout_min")) * 60
                    self.store.set_state(FAILURES + name, {"count": 0, "until": until})
                    self._log("%s locked out for %d min after %d failed logins"
                              % (name, int(self._p("access.lockout_min")), count), name, where,
                              {"event": "locked", "until": int(until)})
                    self.store.put_event(now, "user_locked", "warning", None,
                                         {"user": name, "where": where, "until": int(until)})
                else:
                    self.store.set_state(FAILURES + name, {"count": count, "until": 0})
            raise unauthorized("login as %s failed: wrong name or password" % (name,))
        self.store.set_state(FAILURES + name, {"count": 0, "until": 0})
        token = secrets.token_urlsafe(32)
        self.store.set_state(SESSION + _digest(token),
                             {"user": name, "where": where, "since": now, "last": now})
        self._log("%s logged in from %s" % (name, where), name, where, {"event": "login"})
        return {"token": token, "user": name, "role": rec["role"],
                "idle_min": int(self._p("access.session_idle_min"))}

    def logout(self, token, where):
        key = SESSION + _digest(token or "")
        s = self.store.get_state(key)
        if s is None:
            return {"ended": False}
        self.store.del_state(key)
        self._log("%s logged out from %s" % (s["user"], where), s["user"], where,
                  {"event": "logout", "since": s["since"]})
        return {"ended": True, "user": s["user"]}

    def _failed(self, name, where, why, locked=False):
        now = self.clock.time()
        self._log("login as %s from %s failed: %s" % (name, where, why), str(name), where,
                  {"event": "failed", "reason": why})
        self.store.put_event(now, "login_failed", "warning", None,
                             {"user": str(name)[:32], "where": where, "reason": why})

    def _log(self, message, user, where, detail):
        detail = dict(detail, user=user, where=where)
        self.store.log("login", self.clock.time(), message, detail)

    # -------------------------------------------------------------- LCD
    def lcd_operator(self, password):
        """The name of the active operator whose password this is (typed on the keys)."""
        for rec in self.operators.list():
            if rec.get("state") == "active" and passwords.verify(rec.get("password"), password):
                return rec["name"]
        return None


def _refusal(row, why):
    return unauthorized("%s needs the permission %s and there is no session: %s"
                        % (row.name, roles.missing(row), why))
