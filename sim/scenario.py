"""Bench scenarios: ports, meters, faults and clock from a TOML file.

```toml
[clock]                      # optional
tz_offset_hours = 8

[[port]]
name = "bus1"
line = "pty"                 # pty | tcp   (in-process lines are built by tests)
baud = 2400
pacing = true                # 11 bits per byte at `baud`, both ways
echo = false                 # the line returns the agent's own bytes first
noise = 0                    # random bytes per second on the line (a chattering meter)

  [[port.meter]]             # one meter ...
  protocol = "dlt645-2007"
  address = "000000000001"
  kind = "electricity"
  reply_delay = 0.05
  faults = [{type = "no_reply", probability = 0.1}]

  [[port.meters]]            # ... or a series of them
  protocol = "cjt188"
  kind = "water"
  count = 8
  first_address = "00000000000001"   # incremented by one per meter

[radio]                      # optional: a micro-power radio module
name = "radio"
line = "pty"
baud = 9600
delay = 0.5                  # radio hop delay, seconds
loss = 0.05                  # probability that a forwarded read is lost
  [[radio.meter]]            # radio meters: same keys as port meters
  ...
```

Every other key of a meter goes to the meter class (``sim.meters``): model
options such as ``profile``, ``initial``, ``drift_ppm``, ``settlement_day``.
An unknown key is an error that names the file and the key.
"""

import tomllib

from protocols.core.errors import ConcentratorError
from sim.bus import Bus
from sim.lines import InProcessLine, PtyLine, TcpLine
from sim.meters import METER_CLASSES
from sim.radio import RadioModule

PORT_KEYS = {"name", "line", "baud", "pacing", "echo", "noise", "tcp_port", "meter", "meters"}
RADIO_KEYS = {"name", "line", "baud", "pacing", "delay", "loss", "tcp_port", "meter", "meters",
              "master_address", "seed"}
SERIES_KEYS = {"count", "first_address", "step"}


class ScenarioError(ConcentratorError, ValueError):
    """A scenario file that cannot be used; the message names file and key."""


class Scenario:
    """The loaded bench: lines (started or not), buses, meters, radio."""

    def __init__(self, clock):
        self.clock = clock
        self.ports = []      # dicts: name, line, bus, meters, protocol(s)
        self.radio = None    # dict: name, line, module, meters

    def meters(self):
        out = []
        for p in self.ports:
            out.extend(p["meters"])
        if self.radio:
            out.extend(self.radio["meters"])
        return out

    def start(self):
        for p in self.ports + ([self.radio] if self.radio else []):
            if hasattr(p["line"], "start"):
                p["line"].start()
        return self

    def stop(self):
        for p in self.ports + ([self.radio] if self.radio else []):
            if hasattr(p["line"], "stop"):
                p["line"].stop()

    def describe(self):
        rows = []
        for p in self.ports:
            protos = sorted(set(m.protocol for m in p["meters"]))
            rows.append({"name": p["name"], "url": p["line"].url, "baud": p["baud"],
                         "protocols": protos, "meters": [m.address for m in p["meters"]]})
        if self.radio:
            rows.append({"name": self.radio["name"], "url": self.radio["line"].url,
                         "baud": self.radio["baud"], "protocols": ["gdw1376.2"],
                         "meters": [m.address for m in self.radio["meters"]]})
        return rows


def _where(path, what):
    return "%s: %s" % (path, what)


def _check_keys(path, where, table, allowed):
    extra = set(table) - allowed
    if extra:
        raise ScenarioError(_where(path, "%s: unknown key(s) %s; allowed: %s" %
                                   (where, ", ".join(sorted(extra)), ", ".join(sorted(allowed)))))


def _series(path, where, spec):
    spec = dict(spec)
    count = spec.pop("count", 1)
    first = str(spec.pop("first_address", spec.pop("address", "1")))
    step = spec.pop("step", 1)
    if not isinstance(count, int) or count < 1:
        raise ScenarioError(_where(path, "%s: count must be a positive integer" % where))
    width = len(first)
    out = []
    for k in range(count):
        s = dict(spec)
        s["address"] = "%0*d" % (width, int(first) + k * step) if first.isdigit() else first
        out.append(s)
    return out


def _make_meter(path, where, spec, clock):
    spec = dict(spec)
    protocol = spec.pop("protocol", None)
    if protocol not in METER_CLASSES:
        raise ScenarioError(_where(path, "%s: protocol must be one of %s, not %r" %
                                   (where, ", ".join(sorted(METER_CLASSES)), protocol)))
    address = spec.pop("address", None)
    if address is None:
        raise ScenarioError(_where(path, "%s: a meter needs an address" % where))
    try:
        return METER_CLASSES[protocol](str(address), clock, **spec)
    except (TypeError, ValueError) as err:
        raise ScenarioError(_where(path, "%s (meter %s): %s" % (where, address, err))) from err


def _meters(path, where, table, clock):
    out = []
    for i, spec in enumerate(table.get("meter", [])):
        out.append(_make_meter(path, "%s.meter[%d]" % (where, i), spec, clock))
    for i, spec in enumerate(table.get("meters", [])):
        sw = "%s.meters[%d]" % (where, i)
        for s in _series(path, sw, spec):
            out.append(_make_meter(path, sw, s, clock))
    return out


def _line(path, where, table, responder, clock, kind_default="pty", inproc=False):
    kind = table.get("line", kind_default)
    if kind not in ("pty", "tcp"):
        raise ScenarioError(_where(path, "%s.line must be pty or tcp, not %r" % (where, kind)))
    if inproc:
        kind = "inproc"
    baud = table.get("baud", 2400)
    pacing = table.get("pacing", True)
    echo = table.get("echo", False)
    if kind == "pty":
        line = PtyLine(responder, clock, baud=baud, pacing=pacing, echo=echo)
    elif kind == "tcp":
        line = TcpLine(responder, clock, baud=baud, pacing=pacing, echo=echo,
                       port=table.get("tcp_port", 0))
    elif kind == "inproc":
        line = InProcessLine(responder, clock, baud=baud, pacing=pacing, echo=echo,
                             name=table.get("name", "line"))
    else:
        raise AssertionError(kind)
    if table.get("noise"):
        line.engine.set_noise(float(table["noise"]), clock.monotonic())
    return line


def load(path, clock, inproc=False, meter_clock=None):
    """A Scenario from a TOML file (lines created, not started).

    ``inproc=True`` builds in-process lines instead (tests, virtual time).
    ``meter_clock`` (default ``clock``) is the time the meters live in; the
    lines always pace with ``clock`` (tests freeze the meters' time while
    the wire runs in real time).
    """
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as err:
        raise ScenarioError("%s: cannot read: %s" % (path, err.strerror)) from err
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError("%s: not valid TOML: %s" % (path, err)) from err
    return build(data, clock, path=path, inproc=inproc, meter_clock=meter_clock)


def build(data, clock, path="<scenario>", inproc=False, meter_clock=None):
    """A Scenario from already-parsed TOML data."""
    _check_keys(path, "top level", data, {"clock", "port", "radio"})
    _check_keys(path, "clock", data.get("clock", {}), {"tz_offset_hours"})
    if "tz_offset_hours" in data.get("clock", {}):
        for c in (clock, meter_clock):
            if c is not None:
                c.tz_offset = int(float(data["clock"]["tz_offset_hours"]) * 3600)
    mclock = meter_clock or clock
    sc = Scenario(clock)
    names = set()
    for i, table in enumerate(data.get("port", [])):
        where = "port[%d]" % i
        _check_keys(path, where, table, PORT_KEYS)
        name = table.get("name", "bus%d" % (i + 1))
        if name in names:
            raise ScenarioError(_where(path, "%s: port name %r used twice" % (where, name)))
        names.add(name)
        meters = _meters(path, where, table, mclock)
        seen = set()
        for m in meters:
            key = (m.protocol, m.address)
            if key in seen:
                raise ScenarioError(_where(path, "%s: two %s meters with address %s on one bus" %
                                           (where, m.protocol, m.address)))
            seen.add(key)
        bus = Bus(meters, mclock)
        line = _line(path, where, table, bus, clock, inproc=inproc)
        sc.ports.append({"name": name, "line": line, "bus": bus, "meters": meters,
                         "baud": table.get("baud", 2400)})
    radio = data.get("radio")
    if radio:
        _check_keys(path, "radio", radio, RADIO_KEYS)
        meters = _meters(path, "radio", radio, mclock)
        options = dict((k, radio[k]) for k in ("delay", "loss", "seed", "master_address") if k in radio)
        module = RadioModule(mclock, **options)
        for m in meters:
            module.attach(m)
        table = dict(radio)
        table.setdefault("baud", 9600)
        line = _line(path, "radio", table, module, clock, inproc=inproc)
        sc.radio = {"name": radio.get("name", "radio"), "line": line, "module": module,
                    "meters": meters, "baud": table["baud"]}
    return sc
