"""Protocol names as the CLI and configuration spell them, and their codecs.

Every codec module offers the same two things: ``Deframer`` (cuts frames out
of a byte stream) and ``decode_dict(frame)`` (one complete frame to a plain
dict of exact values).  ``decode_bytes`` joins them for captured frames.
"""

from protocols.common import frames_in

# (name used on the CLI and in configuration, module under protocols/)
PROTOCOLS = (
    ("dlt645-2007", "dlt645"),
    ("dlt645-1997", "dlt645_1997"),
    ("cjt188", "cjt188"),
    ("mbus", "mbus"),
    ("modbus", "modbus"),
    ("gdw1376.2", "gdw1376_2"),
)

ALIASES = (
    ("dlt645", "dlt645-2007"),
    ("cjt188-2004", "cjt188"),
    ("gdw1376.2-2013", "gdw1376.2"),
    ("gdw1376_2", "gdw1376.2"),
)


def names():
    return [name for name, _ in PROTOCOLS]


def canonical(name):
    """The canonical protocol name for ``name`` (or an alias); ValueError if unknown."""
    key = name.strip().lower()
    for alias, target in ALIASES:
        if key == alias:
            key = target
    for proto, _ in PROTOCOLS:
        if proto == key:
            return proto
    raise ValueError("unknown protocol %r: use one of %s" % (name, ", ".join(names())))


def module(name):
    """The codec module of a protocol name (imported on first use)."""
    proto = canonical(name)
    for p, mod in PROTOCOLS:
        if p == proto:
            pkg = __import__("protocols." + mod)
            return getattr(pkg, mod)
    raise ValueError(name)


def decode_bytes(name, data):
    """Every frame in captured bytes as a dict; raises the codec's error if none."""
    mod = module(name)
    return [mod.decode_dict(frame) for frame in frames_in(mod.Deframer(), data)]
