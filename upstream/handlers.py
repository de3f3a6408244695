"""The command-handler interface the uplink calls (gateway/ provides it:
``gateway.ops.dispatch.Operations``, reading its one table of operations).

One object, used by MQTT, the console (through the control socket) and the
LCD, so that each operation is written once::

    class Handlers:
        def ops(self) -> set of op names             # the ops MQTT may call
        def needs_signature(self, op) -> bool        # control-type ops: refused unsigned
                                                     # unless uplink.allow_unsigned_control
        def slow(self, op, args=None) -> bool        # may take longer than 2 s
                                                     # (gets "accepted" first)
        def call(self, op, args, meta) -> result     # JSON-able; raises CommandError only
        def file_chunk(self, transfer, index, payload) -> bool
                                                     # optional: a binary message on
                                                     # <p>/<cid>/file/<transfer>/<index>

``call`` checks the arguments, writes the call to the operation log once and
turns its own failures into ``CommandError("internal")``: the uplink neither
logs an executed command again nor wraps its errors a second time.

``file_chunk`` gets each chunk of an upgrade transfer (mqtt.md, Upgrade;
docs/upgrade.md, Transfer over MQTT): ``transfer`` the topic's id as sent,
``index`` an int (-1 when the topic's index is not a decimal number),
``payload`` bytes.  It stores the chunk or drops and counts it, returns
whether it was kept and never raises; it runs on paho's network thread, so
it only writes the chunk (no reply is sent: ``upgrade.status`` tells the
master station what is missing).  A handler object without it ignores
chunks.

``meta`` carries who asked (``{"source": "mqtt", "id": ..., "signed": bool}``
or ``{"source": "console", "user": ...}``) for logging and authorisation.
"""
