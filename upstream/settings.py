"""Uplink settings (mqtt.md "Session", "Batches", "Command authentication").

Built from the configuration file's ``[uplink]`` table (gateway/config);
every key is checked here so a mistake is named before the agent starts.
"""

import re

from upstream.errors import UplinkError

CID = re.compile(r"[A-Za-z0-9_-]{1,32}\Z")

# key: (default, kind, check or choices)
FIELDS = (
    ("cid", None, "str", "cid"),
    ("host", "127.0.0.1", "str", None),
    ("port", 1883, "int", (1, 65535)),
    ("prefix", "amr", "str", "prefix"),
    ("mqtt_version", "5", "str", ("5", "3.1.1")),
    ("keepalive", 60, "int", (5, 3600)),
    ("session_expiry", 7 * 86400, "int", (0, 0xFFFFFFFF)),
    ("username", "", "str", None),
    ("password", "", "str", None),
    ("tls_ca", "", "str", None),
    ("tls_cert", "", "str", None),
    ("tls_key", "", "str", None),
    ("inflight", 16, "int", (1, 1000)),
    ("batch_max", 200, "int", (1, 10000)),
    ("ack", "broker", "str", ("broker", "master")),
    ("ack_timeout", 60, "int", (1, 86400)),
    ("compress", "none", "str", ("none", "zlib")),
    ("status_interval", 300, "int", (1, 86400)),
    ("command_key", "", "str", None),
    ("command_window", 300, "int", (1, 86400)),
    ("allow_unsigned_control", False, "bool", None),
    ("max_queued", 100, "int", (1, 100000)),
    ("reconnect_min", 1.0, "float", (0.1, 3600)),
    ("reconnect_max", 120.0, "float", (0.1, 86400)),
    ("enabled", True, "bool", None),
)
_FIELDS = dict((f[0], f[1:]) for f in FIELDS)


# what the master station may tune at run time (parameters uplink.*, store.params_table)
LIVE = ("inflight", "batch_max", "ack", "ack_timeout", "compress", "status_interval",
        "command_window", "allow_unsigned_control")


class UplinkSettings:
    """Validated uplink settings; attribute per key of FIELDS.

    With ``params`` the LIVE keys come from the parameters (``uplink.<key>``)
    and follow them after ``refresh()``; the rest is the configuration's.
    """

    def __init__(self, params=None, **values):
        self.params = params
        self._revision = None
        unknown = set(values) - set(_FIELDS)
        if unknown:
            raise UplinkError("uplink: unknown key(s) %s; allowed: %s" %
                              (", ".join(sorted(unknown)), ", ".join(f[0] for f in FIELDS)))
        for key, (default, kind, check) in _FIELDS.items():
            value = values.get(key, default)
            setattr(self, key, _checked(key, value, kind, check))
        if self.reconnect_max < self.reconnect_min:
            raise UplinkError("uplink.reconnect_max must be at least uplink.reconnect_min")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise UplinkError("uplink.tls_cert and uplink.tls_key go together: give both or neither")
        if params is not None:
            clash = set(values) & set(LIVE)
            if clash:
                raise UplinkError("uplink.%s is a parameter (concentrator params set uplink.%s), "
                                  "not a configuration key" % (sorted(clash)[0], sorted(clash)[0]))
            self.refresh()

    def refresh(self):
        """Take the LIVE keys from the parameters when they changed."""
        if self.params is None:
            return False
        rev = getattr(self.params, "revision", None)
        if rev == self._revision and rev is not None:
            return False
        self._revision = rev
        for key in LIVE:
            setattr(self, key, self.params.get("uplink." + key))
        return True

    @property
    def v5(self):
        return self.mqtt_version == "5"

    @property
    def tls(self):
        return bool(self.tls_ca or self.tls_cert)

    def topic(self, leaf):
        return "%s/%s/%s" % (self.prefix, self.cid, leaf)


def _checked(key, value, kind, check):
    name = "uplink.%s" % key
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise UplinkError("%s must be an integer, got %r" % (name, value))
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UplinkError("%s must be a number, got %r" % (name, value))
        value = float(value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise UplinkError("%s must be true or false, got %r" % (name, value))
    elif kind == "str":
        if value is None or not isinstance(value, str):
            if key == "cid":
                raise UplinkError("uplink.cid is required: the concentrator id, "
                                  "1-32 of A-Z a-z 0-9 _ -")
            raise UplinkError("%s must be text, got %r" % (name, value))
    if check == "cid" and not CID.match(value):
        raise UplinkError("uplink.cid %r is not 1-32 of A-Z a-z 0-9 _ - (mqtt.md)" % value)
    if check == "prefix" and (not value or "#" in value or "+" in value):
        raise UplinkError("uplink.prefix %r must be a topic level without wildcards" % value)
    if isinstance(check, tuple) and isinstance(check[0], str) and value not in check:
        raise UplinkError("%s must be one of %s, got %r" % (name, ", ".join(check), value))
    if isinstance(check, tuple) and not isinstance(check[0], str) and \
            not check[0] <= value <= check[1]:
        raise UplinkError("%s must be within %s..%s, got %r" % (name, check[0], check[1], value))
    return value
