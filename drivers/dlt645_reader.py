"""Old path of the DL/T645 session (now ``drivers.meters.dlt645``): aliases
kept for gateway/commands_bus.py and bench/wire.py until they import
``drivers.meters``."""

from drivers import meters
from protocols import registry


def Dlt645Reader(port, address, edition="2007", **options):
    return meters.make_session(port, "dlt645-" + edition, address, **options)


def broadcast_freeze(port, minute=None, hour=None, day=None, month=None):
    meters.broadcast_freeze(port, registry.get("dlt645-2007").name, minute, hour, day, month)
