"""The tests' broker is the demo's: a real mosquitto on a free loopback port (sim/broker.py)."""

from sim.broker import Mosquitto, free_port, mosquitto_binary  # noqa: F401
