"""A master-station client written from spec/mqtt.md alone (no project code).

It subscribes to everything under ``<prefix>/<cid>/``, decodes batches
(plain JSON, or zlib when the first byte is not ``{``), keeps every batch by
``seq``, finds gaps and duplicates, signs commands with HMAC-SHA256 over the
canonical JSON, and acknowledges batches on ``ack``.
"""

import calendar
import hashlib
import hmac
import itertools
import json
import threading
import time
import zlib
from decimal import Decimal

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties


class Master:
    def __init__(self, port, cid, prefix="amr", key=None, client_id="master-station",
                 host="127.0.0.1", persistent=True):
        self.base = "%s/%s/" % (prefix, cid)
        self.key = key
        self.lock = threading.Condition()
        self.batches = {}          # seq -> decoded batch (first copy)
        self.copies = {}           # seq -> every payload received for it
        self.arrivals = []         # seqs in arrival order, repeats included
        self.replies = []
        self.states = []
        self.statuses = []
        self.ids = itertools.count(1)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        self.client.on_message = self._on_message
        self.client.on_connect = self._on_connect
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600 if persistent else 0
        self.client.connect(host, port, 30, clean_start=not persistent, properties=props)
        self.client.loop_start()
        self.wait(lambda: self.connected, 10)

    connected = False

    def _on_connect(self, client, userdata, flags, rc, props):
        client.subscribe(self.base + "#", qos=1)
        self.connected = True

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()

    @staticmethod
    def decode(payload):
        data = bytes(payload)
        if data[:1] != b"{":
            data = zlib.decompress(data)
        return json.loads(data.decode("utf-8"), parse_float=Decimal)

    def _on_message(self, client, userdata, msg):
        leaf = msg.topic[len(self.base):]
        with self.lock:
            if leaf.startswith("data/") or leaf == "event":
                body = self.decode(msg.payload)
                body["_topic"] = leaf
                self.arrivals.append(body["seq"])
                self.batches.setdefault(body["seq"], body)
                self.copies.setdefault(body["seq"], []).append(bytes(msg.payload))
            elif leaf == "reply":
                self.replies.append(json.loads(msg.payload, parse_float=Decimal))
            elif leaf == "state":
                self.states.append(json.loads(msg.payload))
            elif leaf == "status":
                self.statuses.append(json.loads(msg.payload, parse_float=Decimal))
            self.lock.notify_all()

    def wait(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 0.2))
        return True

    # ------------------------------------------------------------ batches
    def seqs(self):
        with self.lock:
            return sorted(self.batches)

    def gaps(self):
        s = self.seqs()
        return sorted(set(range(1, s[-1] + 1)) - set(s)) if s else []

    def duplicates(self):
        with self.lock:
            return dict((s, c) for s, c in self.copies.items() if len(c) > 1)

    def first_arrival_order(self):
        seen, order = set(), []
        with self.lock:
            for s in self.arrivals:
                if s not in seen:
                    seen.add(s)
                    order.append(s)
        return order

    def records(self, kind=None):
        with self.lock:
            out = []
            for seq in sorted(self.batches):
                b = self.batches[seq]
                if "records" in b and (kind is None or b["kind"] == kind):
                    out.extend(dict(r, _kind=b["kind"]) for r in b["records"])
            return out

    def events(self):
        with self.lock:
            return [e for seq in sorted(self.batches) for e in self.batches[seq].get("events", [])]

    def ack(self, seq=None, upto=None):
        body = {"seq": seq} if seq is not None else {"upto": upto}
        self.client.publish(self.base + "ack", json.dumps(body), qos=1)

    # ----------------------------------------------------------- commands
    @staticmethod
    def canonical(cmd):
        body = dict((k, v) for k, v in cmd.items() if k != "sig")
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def command(self, op, args=None, ts=None, sign=True, cid=None, raw=None, key=None,
                response_topic=None, wait=10):
        cid = cid or "cmd-%d" % next(self.ids)
        cmd = {"id": cid, "op": op, "args": args or {},
               "ts": ts or time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}
        k = key or self.key
        if sign and k:
            cmd["sig"] = hmac.new(k.encode(), self.canonical(cmd), hashlib.sha256).hexdigest()
        payload = raw if raw is not None else json.dumps(cmd)
        props = None
        if response_topic:
            props = Properties(PacketTypes.PUBLISH)
            props.ResponseTopic = response_topic
            props.CorrelationData = b"corr-" + cid.encode()
        self.client.publish(self.base + "cmd", payload, qos=1, properties=props)
        if not wait:
            return cid
        self.wait(lambda: any(r.get("id") == cid and "accepted" not in r for r in self.replies), wait)
        return self.reply_of(cid)

    def reply_of(self, cid):
        with self.lock:
            finals = [r for r in self.replies if r.get("id") == cid and "accepted" not in r]
            return finals[0] if finals else None


def utc(iso_text):
    """ISO 8601 with offset to UTC seconds."""
    base, off = iso_text[:19], iso_text[19:]
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    if off and off != "Z":
        t -= (1 if off[0] == "+" else -1) * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return t
