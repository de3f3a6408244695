"""The demo's board: a bench scenario's simulated meters wired to an agent.

``board(scenario, clock, ...)`` builds the scenario's lines in process and
the agent's configuration that matches them (a ``[[port]]`` per port, the
``[radio]``, a ``[[meter]]`` per simulated meter), checked by the same
``gateway.config.parse`` as a file.  The demo and the tests run the real
``gateway.agent.Agent`` on it with ``transports`` = the in-process lines.
It lives in gateway/ (it builds an agent's configuration) and, like the demo,
may import sim/ (the import-linter contracts allow these two).
"""

from gateway.config import parse
from sim.scenario import build


def _meter(m, port, radio=False):
    rec = {"address": m.address, "protocol": m.protocol, "port": port, "kind": m.kind}
    if radio:
        rec["radio"] = True
    options = m.archive_options()
    if options:
        rec["options"] = options
    return rec


def config_data(sc, cid, data_dir, socket, uplink=None, params=None):
    """The TOML-shaped configuration of the agent for a built Scenario ``sc``."""
    data = {"concentrator": {"id": cid, "data_dir": data_dir, "socket": socket},
            "port": [], "meter": [], "uplink": dict(uplink or {"enabled": False}),
            "params": dict(params or {})}
    for p in sc.ports:
        data["port"].append({"name": p["name"], "device": "sim://%s" % p["name"],
                             "protocol": p["meters"][0].protocol, "baud": p["baud"]})
        data["meter"] += [_meter(m, p["name"]) for m in p["meters"]]
    if sc.radio:
        r = sc.radio
        data["radio"] = {"name": r["name"], "device": "sim://%s" % r["name"], "baud": r["baud"],
                         "meter_timeout": float(r["module"].timeout + 2)}
        data["meter"] += [_meter(m, r["name"], radio=True) for m in r["meters"]]
    return data


def board(scenario, clock, data_dir, socket, cid="c01", uplink=None, params=None,
          meter_clock=None):
    """(Config, {bus name: in-process line}, Scenario) for ``scenario`` (parsed TOML)."""
    sc = build(scenario, clock, inproc=True, meter_clock=meter_clock)
    cfg = parse(config_data(sc, cid, data_dir, socket, uplink, params), "<bench board>",
                check_devices=False)
    lines = dict((p["name"], p["line"]) for p in sc.ports)
    if sc.radio:
        lines[sc.radio["name"]] = sc.radio["line"]
    return cfg, lines, sc


def _toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, (list, tuple)):
        return "[%s]" % ", ".join(_toml_value(x) for x in v)
    if isinstance(v, dict):
        return "{%s}" % ", ".join("%s = %s" % (_toml_key(k), _toml_value(x)) for k, x in v.items())
    raise TypeError("no TOML for %r" % (v,))


def _toml_key(k):
    return k if all(c.isalnum() or c in "_-" for c in k) else _toml_value(k)


def to_toml(data):
    """TOML text of a configuration as ``config_data`` makes it (tables,
    arrays of tables, plain values): what ``concentrator demo --print-config``
    shows and the tests hand to the console."""
    out = []
    for name, value in data.items():
        if isinstance(value, dict):
            out.append("[%s]" % name)
            out += ["%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in value.items()]
            out.append("")
        elif isinstance(value, list) and value and all(isinstance(x, dict) for x in value):
            for item in value:
                out.append("[[%s]]" % name)
                out += ["%s = %s" % (_toml_key(k), _toml_value(v)) for k, v in item.items()]
                out.append("")
    return "\n".join(out)
