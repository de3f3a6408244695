"""The command-handler interface the uplink calls (gateway/ provides it).

One object, used by MQTT, the console (through the control socket) and the
LCD, so that each operation is written once::

    class Handlers:
        def ops(self) -> set of op names
        def needs_signature(self, op) -> bool        # control-type ops: see mqtt.md
        def slow(self, op, args=None) -> bool        # may take longer than 2 s (gets "accepted" first)
        def call(self, op, args, meta) -> result     # JSON-able; raises CommandError

``meta`` carries who asked (``{"source": "mqtt", "id": ..., "signed": bool}``
or ``{"source": "console", "user": ...}``) for logging and authorisation.
"""

# ops that change the concentrator or a meter: refused unsigned unless
# uplink.allow_unsigned_control (mqtt.md, Command authentication)
CONTROL_OPS = ("control", "reset", "params.set")
