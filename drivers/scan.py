"""Old path of the bus search (now ``drivers.meters.scan``): an alias kept for
gateway/cli_probe.py until it imports ``drivers.meters``."""

from drivers.meters import scan

__all__ = ("scan",)
