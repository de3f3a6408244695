"""What a master station sees: a small MQTT client for the demo and the bench.

It subscribes to ``<prefix>/<cid>/#``, decodes batches and events
(plain JSON, or zlib when the first byte is not ``{``, as mqtt.md says), counts what arrives
(batches and records per stream, sequence numbers, events by type, the last
``state``) and hands each message to ``on_message(leaf, body)`` for a live
view.  It acknowledges nothing: the demo's uplink runs with broker acks.
"""

import json
import threading
import zlib
from decimal import Decimal

import paho.mqtt.client as mqtt


class MasterView:
    def __init__(self, host, port, cid, prefix="amr", on_message=None):
        self.base = "%s/%s/" % (prefix, cid)
        self.on_message = on_message
        self.lock = threading.Lock()
        self.batches = {}          # stream -> batches received
        self.records = {}          # stream -> records received
        self.seqs = set()
        self.events = {}           # type -> count
        self.state = None
        self.connected = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="demo-master",
                                  protocol=mqtt.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect(host, port, 30)
        self.client.loop_start()
        if not self.connected.wait(10):
            self.close()
            raise RuntimeError("the master-station client could not connect to %s:%d" % (host, port))

    def _on_connect(self, client, userdata, flags, rc, props=None):
        client.subscribe(self.base + "#", qos=1)
        self.connected.set()

    def _on_message(self, client, userdata, msg):
        leaf = msg.topic[len(self.base):]
        try:
            if leaf.startswith("data/") or leaf == "event":
                body = decode(msg.payload)
            else:
                body = json.loads(msg.payload.decode("utf-8"), parse_float=Decimal)
        except ValueError:
            body = {"error": "undecodable payload of %d bytes" % len(msg.payload)}
        with self.lock:
            if leaf.startswith("data/") and "records" in body:
                stream = leaf[5:]
                self.batches[stream] = self.batches.get(stream, 0) + 1
                self.records[stream] = self.records.get(stream, 0) + len(body["records"])
                self.seqs.add(body.get("seq"))
            elif leaf == "event" and "events" in body:
                self.batches["event"] = self.batches.get("event", 0) + 1
                self.seqs.add(body.get("seq"))
                for e in body["events"]:
                    self.events[e.get("type")] = self.events.get(e.get("type"), 0) + 1
            elif leaf == "state":
                self.state = body
        if self.on_message is not None:
            self.on_message(leaf, body)

    def totals(self):
        with self.lock:
            return {"batches": sum(self.batches.values()), "batches_by_stream": dict(self.batches),
                    "records": dict(self.records), "events": dict(self.events),
                    "highest_seq": max([s for s in self.seqs if isinstance(s, int)] or [0]),
                    "distinct_seqs": len([s for s in self.seqs if isinstance(s, int)]),
                    "state": self.state}

    def close(self):
        self.client.loop_stop()
        try:
            self.client.disconnect()
        except Exception:
            pass


def decode(payload):
    """A batch payload as mqtt.md writes it (plain JSON, or its zlib stream) to a
    dict with exact numbers: the master station's side, written from the page."""
    data = bytes(payload)
    if data[:1] != b"{":
        data = zlib.decompress(data)
    return json.loads(data.decode("utf-8"), parse_float=Decimal)
