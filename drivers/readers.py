"""One reader per meter, chosen by protocol, and each protocol's line defaults."""

from drivers.cjt188_reader import Cjt188Reader
from drivers.dlt645_reader import Dlt645Reader
from drivers.errors import NotSupportedError
from drivers.mbus_reader import MBusReader
from drivers.modbus_reader import ModbusReader
from drivers.port import PortSettings

PROTOCOLS = ("dlt645-2007", "dlt645-1997", "cjt188", "mbus", "modbus")

# protocol: (baud, parity, reply timeout s, inter-byte gap s, silence s)  (protocols.md 1.1, 2, 3.1, 5.1, 6)
LINE_DEFAULTS = (
    ("dlt645-2007", 2400, "E", 1.0, 0.5, 0.02),
    ("dlt645-1997", 1200, "E", 1.0, 0.5, 0.02),
    ("cjt188", 2400, "E", 1.5, 0.5, 0.02),
    ("mbus", 2400, "E", 0.5, 0.1, 0.01),
    ("modbus", 9600, "N", 0.5, 0.05, 0.005),
)
_DEFAULTS = dict((row[0], row[1:]) for row in LINE_DEFAULTS)


def default_settings(protocol, **overrides):
    """PortSettings with the protocol's usual line and timing defaults."""
    if protocol not in _DEFAULTS:
        raise NotSupportedError("unknown protocol %r: use one of %s" % (protocol, ", ".join(PROTOCOLS)))
    baud, parity, timeout, gap, silence = _DEFAULTS[protocol]
    # Modbus wants 8N2 without parity, but most meters ship 8N1: configurable
    s = PortSettings(baud=baud, parity=parity, reply_timeout=timeout, byte_gap=gap, silence=silence)
    for key, value in overrides.items():
        if value is not None:
            setattr(s, key, value)
    return s


def make_reader(port, protocol, address, kind=None, **options):
    """The reader of one meter: ``options`` are the protocol reader's own."""
    if protocol == "dlt645-2007":
        return Dlt645Reader(port, address, "2007", **options)
    if protocol == "dlt645-1997":
        return Dlt645Reader(port, address, "1997", **options)
    if protocol == "cjt188":
        return Cjt188Reader(port, address, kind=kind or "water", **options)
    if protocol == "mbus":
        secondary = options.pop("secondary", None)
        if address is not None and len(str(address)) == 8 and secondary is None:
            secondary, address = str(address), None
        return MBusReader(port, address, secondary=secondary, **options)
    if protocol == "modbus":
        return ModbusReader(port, address, **options)
    raise NotSupportedError("unknown protocol %r: use one of %s" % (protocol, ", ".join(PROTOCOLS)))
