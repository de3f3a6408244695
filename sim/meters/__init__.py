"""Simulated meters, one class per registry protocol (all ``sim.meters.base.SimMeter``).

Each class names its protocol (``protocol``, a registry name); the test of
the registry's layers checks there is one class for every row.
``METER_CLASSES`` (protocol -> class), ``meter_class(protocol)`` and
``make_meter(protocol, address, clock, **options)`` let a scenario file name
the protocol as the CLI and the archive write it.
"""

from sim.meters.base import SimMeter
from sim.meters.dlt645_2007 import Dlt645Meter
from sim.meters.dlt645_1997 import Dlt645_1997Meter
from sim.meters.cjt188 import Cjt188Meter
from sim.meters.mbus import MbusMeter
from sim.meters.modbus import ModbusMeter

PROTOCOLS = tuple((c.protocol, c) for c in (Dlt645Meter, Dlt645_1997Meter, Cjt188Meter,
                                             MbusMeter, ModbusMeter))

METER_CLASSES = dict(PROTOCOLS)
_CLASSES = METER_CLASSES


def meter_class(protocol):
    try:
        return _CLASSES[protocol]
    except KeyError:
        raise ValueError("unknown meter protocol %r (one of %s)" %
                         (protocol, ", ".join(p for p, _ in PROTOCOLS)))


def make_meter(protocol, address, clock, **options):
    return meter_class(protocol)(address, clock, **options)


__all__ = ("SimMeter", "Dlt645Meter", "Dlt645_1997Meter", "Cjt188Meter", "MbusMeter",
           "ModbusMeter", "PROTOCOLS", "METER_CLASSES", "meter_class", "make_meter")
