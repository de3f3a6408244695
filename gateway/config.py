"""The agent's configuration file (TOML), checked before anything starts.

A minimal file::

    [concentrator]
    id = "c01"

    [[port]]
    name = "bus1"
    device = "/dev/ttyS1"

    [uplink]
    host = "mqtt.example.net"

Every mistake -- an unknown key, a wrong type, a device that does not
exist, two meters with one address on a bus -- is a ``ConfigError`` naming
the file, the key, what was given and what is allowed; the agent does not
start.  ``docs/operator-guide.md`` lists every key.
"""

import errno
import os
import re
import stat
import tomllib

from protocols import registry
from protocols.core.errors import ConcentratorError
from upstream.errors import UplinkError
from upstream.settings import FIELDS, LIVE, UplinkSettings

DEFAULT_PATH = "/etc/concentrator/concentrator.toml"
NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")
URL = re.compile(r"[a-z0-9+]+://")
PARITIES = ("N", "E", "O")
LEVELS = ("debug", "info", "warning", "error")

# table: {key: (type, default, note)}
CONCENTRATOR = {
    "id": (str, None, "the concentrator id, 1-32 of A-Z a-z 0-9 _ - (the MQTT cid)"),
    "data_dir": (str, "/var/lib/concentrator", "where store.db, archive.json and params.json live"),
    "socket": (str, "/run/concentrator/control.sock", "the control socket the console talks to"),
    "log_level": (str, "info", "one of %s" % ", ".join(LEVELS)),
}
PORT = {
    "name": (str, None, "a name for the bus, 1-32 of A-Z a-z 0-9 _ . -"),
    "device": (str, None, "a device path (/dev/ttyS1) or a pyserial URL (socket://host:port)"),
    "protocol": (str, "dlt645-2007", "the protocol whose line defaults apply: %s" % ", ".join(registry.meter_protocols())),
    "baud": (int, None, "bits per second (default: the protocol's)"),
    "parity": (str, None, "N, E or O (default: the protocol's)"),
    "stopbits": (int, 1, "1 or 2"),
    "rs485": (bool, False, "use the kernel's RS485 mode (RTS drives the transceiver)"),
    "rts_delay_before_tx": (float, 0.0, "seconds, with rs485"),
    "rts_delay_before_rx": (float, 0.0, "seconds, with rs485"),
    "echo": (bool, False, "the adapter hears its own bytes: drop the echo"),
    "reply_timeout": (float, None, "seconds to the first reply byte (default: the protocol's)"),
    "retries": (int, 2, "retries after a timeout or a bad frame"),
    "silence": (float, None, "seconds of quiet between frames"),
    "frame_deadline": (float, None, "seconds after the request by which a reply frame must be "
                                    "complete, whatever arrives (default: the reply timeout plus "
                                    "the longest frame's wire time)"),
    "trace": (bool, False, "log every frame of this port in hex (debug level)"),
}
RADIO = {
    "name": (str, "radio", "the radio bus name (meters with radio = true use it)"),
    "device": (str, None, "the module's UART: a device path or pyserial URL"),
    "baud": (int, 9600, "bits per second"),
    "parity": (str, "E", "N, E or O"),
    "master_address": (str, "000000000001", "the concentrator's 12-digit node address"),
    "meter_timeout": (float, 10.0, "seconds for a meter's answer through the module"),
    "meter_retries": (int, 1, "retries of a radio meter read"),
    "trace": (bool, False, "log every frame of the module in hex"),
}
METER = {
    "id": (str, None, "meter id (m-0001...); generated when missing"),
    "address": (str, None, "as printed on the meter"),
    "protocol": (str, None, "one of %s" % ", ".join(registry.meter_protocols())),
    "port": (str, None, "the name of a [[port]] or of the [radio]"),
    "kind": (str, None, "electricity, water, gas or heat"),
    "radio": (bool, False, "reached through the radio module"),
    "area": (str, None, "free text"),
    "name": (str, None, "free text"),
    "tariff": (str, None, "free text"),
    "limits": (dict, None, "power_max_kw, daily_max, zero_days"),
    "options": (dict, None, "password, operator, level, di_order, profile, secondary"),
}
UPGRADE = {
    "trusted_keys": (list, [], "the vendor's Ed25519 public keys, 64 hex digits each "
                               "(KEYFILE.pub); packages signed by others are refused"),
    "prefix": (str, "", "the install prefix (releases/, current, previous), e.g. "
                        "/opt/concentrator; empty: not installed in the release layout"),
    "probation_s": (int, 1800, "seconds a new version has to pass its probation"),
    "max_attempts": (int, 3, "starts of a new version on probation before it is rolled back"),
    "probation_reading_round": (bool, True, "probation needs a complete reading round"),
    "probation_batch_acked": (bool, True, "probation needs a batch acknowledged upstream "
                                          "(only with the uplink enabled)"),
    "store_copy": (bool, True, "keep a copy of store.db while a new version is on probation"),
}
HEX_KEY = re.compile(r"[0-9a-fA-F]{64}\Z")
# the board's link to the master station, for the status op and the LCD's status bar
LINK = {
    "channel": (str, "", "ethernet or cellular: how the board reaches the master station; "
                         "empty: not said (shown as --)"),
    "signal_file": (str, "", "a file holding the modem's last AT+CSQ answer (+CSQ: 18,99), "
                             "written by the board's modem script; empty: no signal shown"),
    "signal_max_age_s": (int, 300, "an older signal_file is not shown (the script stopped)"),
}
UPLINK_KEYS = tuple(f[0] for f in FIELDS if f[0] not in LIVE) + tuple(LINK)
TOP = ("concentrator", "port", "radio", "uplink", "meter", "params", "upgrade", "lcd")


class ConfigError(ConcentratorError):
    """A configuration that cannot be used (exit code 2); ``path``: the file."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.message = message
        self.path = path


class PortConfig:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class Config:
    """The checked configuration: concentrator, ports, radio, uplink, meters, params."""

    def __init__(self, path):
        self.path = path
        self.concentrator = {}
        self.ports = []
        self.radio = None
        self.uplink = None
        self.link = _link({}, None)     # [uplink] channel, signal_file, signal_max_age_s
        self.meters = []
        self.params = {}
        self.upgrade = _upgrade({}, None)
        self.lcd = None                 # gateway.lcd.config.LcdConfig with [lcd]

    @property
    def id(self):
        return self.concentrator["id"]

    def data_file(self, name):
        return os.path.join(self.concentrator["data_dir"], name)

    def bus_names(self):
        return [p.name for p in self.ports] + ([self.radio.name] if self.radio else [])

    def meter_rules(self):
        """The archive's validation rules for this installation (``meter_rules``)."""
        return meter_rules(self.bus_names(), self.radio.name if self.radio else None)


def _type_name(t):
    return {str: "text", int: "an integer", float: "a number", bool: "true or false",
            dict: "a table", list: "a list"}[t]


def _table(where, data, schema, err):
    if not isinstance(data, dict):
        err("%s must be a table" % where)
    out = {}
    unknown = sorted(set(data) - set(schema))
    if unknown:
        err("%s: unknown key %s; allowed: %s" % (where, ", ".join(unknown), ", ".join(schema)))
    for key, (typ, default, note) in schema.items():
        if key not in data:
            out[key] = default
            continue
        value = data[key]
        ok = isinstance(value, typ) and not (typ in (int, float) and isinstance(value, bool))
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            err("%s.%s is %r: it must be %s (%s)" % (where, key, value, _type_name(typ), note))
        out[key] = value
    return out


def _link(data, err):
    if err is None:
        return dict((k, d) for k, (_, d, _) in LINK.items())
    link = _table("uplink", data, LINK, err)
    if link["channel"] not in ("", "ethernet", "cellular"):
        err("uplink.channel is %r: ethernet or cellular (or leave it out)" % link["channel"])
    if link["signal_file"] and link["channel"] != "cellular":
        err("uplink.signal_file is for a cellular link: set channel = \"cellular\" too, or "
            "leave signal_file out")
    if not 1 <= link["signal_max_age_s"] <= 86400:
        err("uplink.signal_max_age_s is %d: 1 .. 86400 seconds" % link["signal_max_age_s"])
    return link


def _device(where, device, err):
    if device is None:
        err("%s.device is missing: give a device path (/dev/ttyS1) or a pyserial URL "
            "(socket://host:port)" % where)
    if URL.match(device):
        return
    if not os.path.exists(device):
        err("%s.device %s does not exist: check the port name (ls /dev/tty*) or give a pyserial "
            "URL (socket://host:port)" % (where, device))
    if os.path.isdir(device):
        err("%s.device %s is a directory, not a serial device: give the port itself "
            "(e.g. /dev/ttyS1)" % (where, device))
    _serial_device(where, device, err)


def _serial_device(where, device, err):
    """``device`` opens and is a terminal (what pyserial needs): /dev/null or a
    plain file passes the existence check but gives the agent no bus at all."""
    try:
        fd = os.open(device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.EACCES:
            err("%s.device %s: permission denied: run as root or add the user to the dialout "
                "group" % (where, device))
        err("%s.device %s cannot be opened: %s: check the port name (ls /dev/tty*) and the "
            "adapter" % (where, device, e.strerror))
    try:
        tty = os.isatty(fd)
    finally:
        os.close(fd)
    if not tty:
        err("%s.device %s is not a serial port (not a terminal device): give the port itself "
            "(ls /dev/ttyS* /dev/ttyUSB*) or a pyserial URL (socket://host:port)" % (where, device))


def load(path, check_devices=True):
    """The Config of a TOML file; ConfigError says what is wrong."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError("%s: no such configuration file (give one with --config, or see "
                          "docs/operator-guide.md for a minimal one)" % path)
    except IsADirectoryError:
        raise ConfigError("%s: is a directory: give the configuration file itself (e.g. "
                          "%s)" % (path, DEFAULT_PATH))
    except UnicodeDecodeError as e:
        raise ConfigError("%s: not UTF-8 text (%s at byte %d): save the file as UTF-8"
                          % (path, e.reason, e.start))
    except OSError as e:
        raise ConfigError("%s: cannot read: %s" % (path, e.strerror))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("%s: not valid TOML: %s" % (path, e))
    return parse(data, path, check_devices)


def warnings(cfg):
    """What works but is not the safe choice, in words (``run --check`` shows them).

    ``uplink.ack`` is a parameter: the value stored in params.json wins, then
    the [params] table's, then the default ("broker")."""
    out = []
    if cfg.uplink is None or not cfg.uplink.enabled:
        return out
    mode = _stored_param(cfg, "uplink.ack") or cfg.params.get("uplink.ack") or "broker"
    if mode == "broker":
        out.append('uplink.ack is "broker": a batch leaves the store on the broker\'s PUBACK, '
                   'so a broker without persistence that crashes loses every batch it had '
                   'acknowledged and not delivered; set "uplink.ack" = "master" in [params] '
                   '(or `concentrator params set uplink.ack=master`) and let the master '
                   'station acknowledge (docs/uplink.md, Acknowledgement modes)')
    return out


def _stored_param(cfg, key):
    """``key`` as stored in the data directory's params.json when it differs from
    the default there (then it was set, by [params] on a first start or since)."""
    path = cfg.data_file("params.json")
    if not os.path.isfile(path):
        return None
    from store import Params, params_table
    try:
        value = Params(path, tolerant=True).get(key)
    except Exception:                    # an unreadable file is the agent's to report
        return None
    return None if value == params_table.BY_KEY[key].default else value


def parse(data, path="<config>", check_devices=True):
    def err(message):
        raise ConfigError("%s: %s" % (path, message))

    cfg = Config(path)
    unknown = sorted(set(data) - set(TOP))
    if unknown:
        err("unknown table or key %s; allowed: %s" % (", ".join(unknown), ", ".join(TOP)))
    if "concentrator" not in data:
        err("[concentrator] is missing: at least id = \"c01\"")
    c = _table("concentrator", data["concentrator"], CONCENTRATOR, err)
    if not c["id"] or not re.match(r"[A-Za-z0-9_-]{1,32}\Z", c["id"]):
        err("concentrator.id is %r: it must be 1-32 of A-Z a-z 0-9 _ -" % (c["id"],))
    if c["log_level"] not in LEVELS:
        err("concentrator.log_level is %r: one of %s" % (c["log_level"], ", ".join(LEVELS)))
    cfg.concentrator = c

    ports = data.get("port", [])
    if not isinstance(ports, list) or not ports:
        err("[[port]] is missing: the agent needs at least one bus (name and device)")
    names = set()
    for i, raw in enumerate(ports):
        where = "port[%d]" % i
        p = _table(where, raw, PORT, err)
        if not p["name"] or not NAME.match(p["name"]):
            err("%s.name is %r: 1-32 of A-Z a-z 0-9 _ . -" % (where, p["name"]))
        if p["name"] in names:
            err("%s.name %r is used by another port: each port needs its own name" % (where, p["name"]))
        names.add(p["name"])
        where = "port %r" % p["name"]
        if p["protocol"] not in registry.meter_protocols():
            err("%s.protocol is %r: one of %s" % (where, p["protocol"], ", ".join(registry.meter_protocols())))
        if p["parity"] is not None and p["parity"] not in PARITIES:
            err("%s.parity is %r: one of N, E, O" % (where, p["parity"]))
        if p["stopbits"] not in (1, 2):
            err("%s.stopbits is %r: 1 or 2" % (where, p["stopbits"]))
        if p["baud"] is not None and not 50 <= p["baud"] <= 4000000:
            err("%s.baud is %r: bits per second, e.g. 2400" % (where, p["baud"]))
        if check_devices:
            _device(where, p["device"], err)
        elif not p["device"]:
            _device(where, None, err)
        cfg.ports.append(PortConfig(**p))

    if "radio" in data:
        r = _table("radio", data["radio"], RADIO, err)
        if r["name"] in names:
            err("radio.name %r is also a port's name" % r["name"])
        if not re.match(r"\d{12}\Z", r["master_address"]):
            err("radio.master_address is %r: 12 digits" % r["master_address"])
        if check_devices:
            _device("radio", r["device"], err)
        cfg.radio = PortConfig(**r)

    if "uplink" not in data:
        err("[uplink] is missing: name the broker (host = \"mqtt.example.net\"), or set "
            "enabled = false to run without a master station")
    up = data["uplink"]
    if not isinstance(up, dict):
        err("[uplink] must be a table")
    live = sorted(set(up) & set(LIVE))
    if live:
        err("uplink.%s is a parameter, not a configuration key: set it with "
            "`concentrator params set uplink.%s ...` or in [params]" % (live[0], live[0]))
    unknown = sorted(set(up) - set(UPLINK_KEYS))
    if unknown:
        err("uplink: unknown key %s; allowed: %s" % (", ".join(unknown), ", ".join(UPLINK_KEYS)))
    values = dict((k, v) for k, v in up.items() if k not in LINK)
    cfg.link = _link(dict((k, v) for k, v in up.items() if k in LINK), err)
    values.setdefault("cid", c["id"])
    try:
        cfg.uplink = UplinkSettings(**values)
    except UplinkError as e:
        err(str(e))
    if check_devices:
        for key in ("tls_ca", "tls_cert", "tls_key"):
            name = getattr(cfg.uplink, key)
            if name and not os.path.isfile(name):
                err("uplink.%s %s does not exist: give the PEM file's path" % (key, name))

    cfg.upgrade = _upgrade(data.get("upgrade", {}), err)

    params = data.get("params", {})
    if not isinstance(params, dict):
        err("[params] must be a table of parameter = value")
    cfg.params = dict(_flatten(params))
    for key, value in cfg.params.items():
        _check_param(key, value, err)

    if "lcd" in data:
        from gateway.lcd import config as lcd_config
        cfg.lcd = lcd_config.parse(data["lcd"], _table, err, check_devices)

    meters = data.get("meter", [])
    if not isinstance(meters, list):
        err("meter must be [[meter]] tables")
    from store import archive_record
    from store import ArchiveError
    rules = cfg.meter_rules()
    seen = {}
    seen_ids = {}
    for i, raw in enumerate(meters):
        where = "meter[%d]" % i
        m = _table(where, raw, METER, err)
        m = dict((k, v) for k, v in m.items() if v is not None)
        for key in ("address", "protocol", "port"):
            if key not in m:
                err("%s.%s is missing" % (where, key))
        if m["port"] not in cfg.bus_names():
            err("%s.port %r is not a [[port]] or the [radio]: one of %s" %
                (where, m["port"], ", ".join(cfg.bus_names())))
        try:
            m = archive_record.normalise(m, rules)
        except ArchiveError as e:
            err("%s: %s" % (where, e))
        key = archive_record.address_key(m, rules)
        if key in seen:
            err("%s and %s have the same address %s on %s: give each meter its own address" %
                (seen[key], where, m["address"], m["port"]))
        seen[key] = where
        if m.get("id") in seen_ids:
            err("%s and %s have the same id %s: give each meter its own id (or none: one is "
                "generated)" % (seen_ids[m["id"]], where, m["id"]))
        if m.get("id"):
            seen_ids[m["id"]] = where
        cfg.meters.append(m)
    return cfg


def _upgrade(raw, err):
    """The [upgrade] table: trusted keys, prefix, probation (docs/upgrade.md)."""
    if err is None:                 # the defaults
        return dict((k, list(d) if isinstance(d, list) else d) for k, (_, d, _) in UPGRADE.items())
    u = _table("upgrade", raw, UPGRADE, err)
    for i, key in enumerate(u["trusted_keys"]):
        if not isinstance(key, str) or not HEX_KEY.match(key):
            err("upgrade.trusted_keys[%d] is %r: 64 hex digits, the content of the vendor's "
                "KEYFILE.pub (concentrator upgrade keygen)" % (i, key))
    u["trusted_keys"] = [k.lower() for k in u["trusted_keys"]]
    if u["prefix"] and not os.path.isabs(u["prefix"]):
        err("upgrade.prefix is %r: an absolute path, e.g. /opt/concentrator" % u["prefix"])
    if u["probation_s"] < 60:
        err("upgrade.probation_s is %r: at least 60 seconds" % u["probation_s"])
    if not 1 <= u["max_attempts"] <= 100:
        err("upgrade.max_attempts is %r: 1 to 100 starts" % u["max_attempts"])
    return u


SOCKET_PATH_MAX = 107          # bytes of a Unix socket's path (sun_path, NUL excluded)


def check_places(cfg):
    """The places the agent writes, checked without writing: ``data_dir`` and
    the store file in it, and the control socket's directory.  ``run`` checks
    them before it starts and ``run --check`` the same way; a ConfigError
    names the key, what is wrong and the fix."""
    from store import SchemaError, check_file

    def err(message):
        raise ConfigError("%s: %s" % (cfg.path, message), cfg.path)

    data_dir = cfg.concentrator["data_dir"]
    _writable_dir("concentrator.data_dir", data_dir, err)
    try:
        check_file(cfg.data_file("store.db"))
    except SchemaError as e:
        err("concentrator.data_dir: %s" % e)
    path = cfg.concentrator["socket"]
    if len(os.fsencode(path)) > SOCKET_PATH_MAX:
        err("concentrator.socket %s is %d bytes long, a Unix socket's path can have at most %d: "
            "choose a shorter one (e.g. /run/concentrator/control.sock)"
            % (path, len(os.fsencode(path)), SOCKET_PATH_MAX))
    if os.path.isdir(path):
        err("concentrator.socket %s is a directory: give the socket's file name in it (e.g. "
            "%s)" % (path, os.path.join(path, "control.sock")))
    if os.path.lexists(path) and not stat.S_ISSOCK(os.lstat(path).st_mode):
        err("concentrator.socket %s exists and is not a socket: choose another path, or remove "
            "that file" % path)
    _writable_dir("concentrator.socket's directory", os.path.dirname(os.path.abspath(path)), err)


def _writable_dir(key, path, err):
    """``path`` is a directory the agent can write, or can be made as one."""
    path = os.path.abspath(path)
    missing = path
    while not os.path.exists(missing):
        missing = os.path.dirname(missing)
    if not os.path.isdir(missing):
        err("%s %s cannot be made: %s is a file, not a directory: choose another path"
            % (key, path, missing))
    if not os.access(missing, os.W_OK | os.X_OK):
        what = "cannot be written" if missing == path else "cannot be made in %s" % missing
        err("%s %s %s (read-only, or no permission): choose a writable place, or run the agent "
            "as the user that owns it" % (key, path, what))


def meter_rules(port_names=None, radio_port=None):
    """What the archive validates meter records against: the registry's protocol
    rows (``store/`` imports nothing of the project, so they are given here) and,
    where known, the installation's ports and radio."""
    from store import MeterRules
    return MeterRules(registry.PROTOCOLS, port_names, radio_port, registry.option_choices())


def _flatten(table, prefix=""):
    for key, value in table.items():
        if isinstance(value, dict):
            for item in _flatten(value, prefix + key + "."):
                yield item
        else:
            yield prefix + key, value


def _check_param(key, value, err):
    import difflib
    from protocols.core.quantities import unit_of
    from store import params_table
    rows = dict((row.key, row) for row in params_table.ALL)
    row = rows.get(key)
    if row is None:
        close = difflib.get_close_matches(key, list(rows), n=3, cutoff=0.6)
        err("params.%s is not a parameter%s; `concentrator params get` lists them" % (
            key, " (did you mean %s?)" % " or ".join(close) if close else ""))
    try:
        params_table.coerce(row, value, unit_of)
    except ValueError as e:
        err("params.%s is %r: %s; allowed: %s" % (key, value, e, params_table.allowed(row)))


def line_settings(port):
    """drivers.port.PortSettings for a configured port."""
    from drivers.meters import default_settings
    overrides = {"baud": port.baud, "parity": port.parity, "reply_timeout": port.reply_timeout,
                 "silence": port.silence, "retries": port.retries, "echo": port.echo,
                 "stopbits": port.stopbits, "frame_deadline": port.frame_deadline}
    return default_settings(port.protocol, **overrides)

