"""Operators, roles and sessions: who may run which operation (issue 12).

``passwords``: salted scrypt hashes with their parameters; ``roles``: the
built-in roles, the permission groups and what a role grants;
``authority``: the one check every face goes through (``Authority.check``,
called by ``gateway.ops.dispatch.Operations.call`` before an op runs), the
console's sessions with their idle expiry on the injected clock, the
lockout after failed logins, and the login log.
"""
