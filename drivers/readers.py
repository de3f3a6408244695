"""Old path of the meter sessions (now ``drivers.meters``): aliases kept for
gateway/ and tests/store until they import ``drivers.meters`` themselves."""

from drivers.meters import default_settings, make_session as make_reader
from protocols.registry import meter_protocols

PROTOCOLS = meter_protocols()

__all__ = ("PROTOCOLS", "default_settings", "make_reader")
