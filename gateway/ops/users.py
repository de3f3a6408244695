"""Operators, roles and sessions as ops: login, logout, whoami, users.*, roles.*.

The rules (issue 12): a super administrator (and the master station) manages
every operator and the roles; a department administrator only the operators
of their own department, and gives only roles that grant no more than their
own; nobody changes their own role, limits or state, nor removes themselves;
one's own password needs the old one.  Every change is written to the
modification log with who, from where, the old and the new values (a
password only as "changed").  No reply and no log ever holds a hash.
"""

from gateway.auth import passwords, roles
from gateway.auth.authority import unauthorized
from gateway.ops.args import bad, check_args, missing, text
from gateway.ops.table import OPS
from store import OperatorError, StoreError
from store.documents.operators import public
from upstream.errors import CommandError

EDITABLE = ("department", "role", "state", "areas", "ports", "password")
NAME_HINT = "an operator name such as \"alice\""


def _ops_of(permissions):
    return set(row.name for row in OPS if roles.grants(permissions, row))


class UserOps:
    """Mixin of gateway.ops.dispatch.Operations (``self.auth``: gateway.auth's Authority)."""

    # ---------------------------------------------------------- helpers
    def _auth(self):
        if self.auth is None:
            raise CommandError("not_supported", "operators are not kept here")
        return self.auth

    @staticmethod
    def _me(meta):
        p = (meta or {}).get("principal")
        if p is None:
            raise unauthorized("this needs a session: concentrator login NAME")
        return p

    @staticmethod
    def _is_super(p):
        return p["kind"] == "master" or p["role"] == "super"

    def _may_manage(self, p, rec):
        """Refused unless ``p`` may manage the operator ``rec``."""
        if self._is_super(p):
            return
        if p["role"] == "dept_admin" or "users" in p["permissions"]:
            if rec.get("department", "") == p["department"] and rec.get("role") != "super":
                return
            raise unauthorized("%s manages the operators of department %r only, not %s of %r"
                               % (p["name"], p["department"], rec.get("name"),
                                  rec.get("department", "")))
        raise unauthorized("%s may not manage operators" % p["name"])

    def _may_give(self, p, role):
        perms = self.auth.role_permissions(role)
        if perms is None:
            raise CommandError("bad_request", "role %r does not exist; roles.list shows them"
                               % (role,), detail={"field": "role"})
        if self._is_super(p):
            return
        if role == "super" or not _ops_of(perms) <= _ops_of(p["permissions"]):
            raise unauthorized("%s may not give role %s: it grants more than their own role %s"
                               % (p["name"], role, p["role"]))

    def _password(self, value, field="password"):
        problem = passwords.rule_problem(value, int(self.params.get("access.password_min_len")))
        if problem:
            raise CommandError("bad_request", "%s: %s" % (field, problem),
                               detail={"field": field})
        return passwords.make_hash(value)

    def _changed(self, meta, what, message, old, new):
        now = self.clock.time()
        detail = {"user": meta.get("user"), "where": meta.get("where"), "what": what,
                  "old": old, "new": new}
        self.store.log("modification", now, "%s by %s from %s" % (message, meta.get("user"),
                                                                  meta.get("where")), detail)

    def _get(self, name):
        rec = self._auth().operators.get(name)
        if rec is None:
            raise CommandError("bad_request", "no operator %s (users.list shows them)" % name,
                               detail={"field": "name"})
        return rec

    def _store(self, fn, *args):
        try:
            return fn(*args)
        except OperatorError as err:
            raise CommandError("bad_request", str(err)) from err
        except StoreError as err:
            raise CommandError("internal", str(err)) from err

    @staticmethod
    def _shown(rec):
        out = public(rec)
        out.pop("changed", None)
        return out

    # ---------------------------------------------------------- sessions
    def op_login(self, args, meta):
        args = check_args("login", args, ("name", "password"))
        name = text(args, "name", NAME_HINT, required=True)
        if not isinstance(args.get("password"), str):
            raise missing("password", "the operator's password")
        return self._auth().login(name, args["password"], meta.get("where") or "console")

    def op_logout(self, args, meta):
        check_args("logout", args, ())
        return self._auth().logout(meta.get("token"), meta.get("where") or "console")

    def op_whoami(self, args, meta):
        check_args("whoami", args, ())
        p = meta.get("principal")
        if p is None:
            return {"user": None, "where": meta.get("where")}
        return {"user": p["name"], "role": p["role"], "department": p["department"],
                "areas": p["areas"], "ports": p["ports"], "where": meta.get("where"),
                "permissions": list(p["permissions"])}

    def op_users_init(self, args, meta):
        """The first super administrator; refused once any operator exists."""
        args = check_args("users.init", args, ("name", "password", "department"))
        auth = self._auth()
        if auth.operators.count():
            raise unauthorized("operators exist already: users.init makes the first one only; "
                               "log in and use users add")
        name = text(args, "name", NAME_HINT, required=True)
        rec = {"name": name, "role": "super", "department": args.get("department") or "",
               "password": self._password(args.get("password")), "state": "active",
               "changed": int(self.clock.time())}
        self._store(auth.operators.add, rec)
        meta = dict(meta, user=name)
        self._changed(meta, "operator", "first super administrator %s created" % name, None,
                      self._shown(rec))
        return {"user": self._shown(rec)}

    def op_users_passwd(self, args, meta):
        """One's own password: ``old`` and ``new``."""
        args = check_args("users.passwd", args, ("old", "new"))
        p = self._me(meta)
        if p["kind"] != "operator":
            raise unauthorized("the master station has no password here")
        rec = self._get(p["name"])
        if not passwords.verify(rec["password"], args.get("old")):
            raise unauthorized("the old password is wrong; the password is unchanged")
        rec = dict(rec, password=self._password(args.get("new"), "new"),
                   changed=int(self.clock.time()))
        self._store(self._auth().operators.replace, p["name"], rec)
        self._changed(meta, "operator", "password of %s changed" % p["name"],
                      {"password": "***"}, {"password": "changed"})
        return {"user": p["name"], "password": "changed"}

    # ---------------------------------------------------------- operators
    def op_users_list(self, args, meta):
        check_args("users.list", args, ())
        p = self._me(meta)
        recs = self._auth().operators.list()
        if not self._is_super(p):
            recs = [r for r in recs if r.get("department", "") == p["department"]]
        return {"users": [self._shown(r) for r in recs]}

    def _record(self, args, base):
        rec = dict(base)
        for field in EDITABLE:
            if field not in args:
                continue
            value = args[field]
            if field == "password":
                rec["password"] = self._password(value)
            elif field in ("areas", "ports"):
                if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    raise bad(field, value, "a list of names, [] for all")
                rec[field] = value
            elif not isinstance(value, str):
                raise bad(field, value, "text")
            else:
                rec[field] = value
        rec["changed"] = int(self.clock.time())
        return rec

    def op_users_add(self, args, meta):
        args = check_args("users.add", args, ("name",) + EDITABLE)
        p = self._me(meta)
        name = text(args, "name", NAME_HINT, required=True)
        if "password" not in args:
            raise missing("password", "the new operator's first password")
        role = text(args, "role", "a role name (roles.list)", required=True)
        dept = args.get("department", p["department"] if not self._is_super(p) else "")
        self._may_manage(p, {"name": name, "department": dept, "role": role})
        self._may_give(p, role)
        rec = self._record(dict(args, department=dept), {"name": name, "state": "active"})
        rec = self._store(self._auth().operators.add, rec)
        self._changed(meta, "operator", "operator %s added" % name, None, self._shown(rec))
        return {"user": self._shown(rec)}

    def op_users_update(self, args, meta):
        args = check_args("users.update", args, ("name",) + EDITABLE)
        p = self._me(meta)
        name = text(args, "name", NAME_HINT, required=True)
        old = self._get(name)
        self._may_manage(p, old)
        if name == p["name"]:
            own = [f for f in ("role", "areas", "ports", "state", "department") if f in args]
            if own:
                raise unauthorized("nobody changes their own %s; ask another administrator"
                                   % own[0])
        if "role" in args:
            self._may_give(p, args["role"])
        if "department" in args and not self._is_super(p) and \
                args["department"] != p["department"]:
            raise unauthorized("%s may not move operators to department %r"
                               % (p["name"], args["department"]))
        if "state" in args and args["state"] not in ("active", "disabled"):
            raise bad("state", args["state"], "active or disabled")
        new = self._record(args, old)
        self._store(self._auth().operators.replace, name, new)
        before, after = self._shown(old), self._shown(new)
        diff_old = dict((k, before.get(k)) for k in after if before.get(k) != after.get(k))
        diff_new = dict((k, after[k]) for k in diff_old)
        if "password" in args:
            diff_old["password"], diff_new["password"] = "***", "changed"
        self._changed(meta, "operator", "operator %s changed: %s" % (
            name, ", ".join(sorted(diff_new)) or "nothing"), diff_old, diff_new)
        return {"user": after}

    def op_users_remove(self, args, meta):
        args = check_args("users.remove", args, ("name",))
        p = self._me(meta)
        name = text(args, "name", NAME_HINT, required=True)
        old = self._get(name)
        self._may_manage(p, old)
        if name == p["name"]:
            raise unauthorized("nobody removes themselves; ask another administrator")
        supers = [r for r in self._auth().operators.list() if r["role"] == "super"]
        if old["role"] == "super" and len(supers) == 1:
            raise unauthorized("%s is the last super administrator and stays" % name)
        self._store(self._auth().operators.remove, name)
        self._changed(meta, "operator", "operator %s removed" % name, self._shown(old), None)
        return {"removed": name}

    # ------------------------------------------------------------- roles
    def op_roles_list(self, args, meta):
        check_args("roles.list", args, ())
        return {"roles": self._auth().all_roles(), "groups": list(roles.GROUPS) + [roles.VIEW]}

    def _role_admin(self, meta):
        p = self._me(meta)
        if not self._is_super(p):
            raise unauthorized("roles are managed by a super administrator, not by %s (role %s)"
                               % (p["name"], p["role"]))
        return p

    def op_roles_set(self, args, meta):
        args = check_args("roles.set", args, ("name", "permissions"))
        self._role_admin(meta)
        name = text(args, "name", "a role name such as \"reader\"", required=True)
        perms = args.get("permissions")
        if not isinstance(perms, list) or not all(isinstance(x, str) for x in perms):
            raise bad("permissions", perms, "a list of groups (%s) or op names"
                      % ", ".join(roles.GROUPS + (roles.VIEW,)))
        wrong = roles.unknown(perms)
        if wrong:
            raise bad("permissions", wrong[0], "a group (%s) or an op name"
                      % ", ".join(roles.GROUPS + (roles.VIEW,)), "is not a permission")
        if name in roles.FIXED:
            raise unauthorized("role %s is built in and cannot be changed" % name)
        auth = self._auth()
        old = auth.role_permissions(name)
        rec = self._store(auth.operators.set_role, name, perms, self.clock.time())
        self._changed(meta, "role", "role %s set" % name,
                      None if old is None else {"permissions": list(old)},
                      {"permissions": rec["permissions"]})
        return {"role": {"name": name, "permissions": rec["permissions"]}}

    def op_roles_remove(self, args, meta):
        args = check_args("roles.remove", args, ("name",))
        self._role_admin(meta)
        name = text(args, "name", "a role name", required=True)
        if name in roles.BUILTIN:
            raise unauthorized("role %s is built in and stays" % name)
        auth = self._auth()
        users = [r["name"] for r in auth.operators.list() if r["role"] == name]
        if users:
            raise CommandError("busy", "role %s is given to %s: give them another role first"
                               % (name, ", ".join(users)))
        old = auth.role_permissions(name)
        self._store(auth.operators.remove_role, name)
        self._changed(meta, "role", "role %s removed" % name,
                      {"permissions": list(old or ())}, None)
        return {"removed": name}
