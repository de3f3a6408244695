"""Batch payloads exactly as mqtt.md "Batches" and "Events" write them.

A reading's ``value`` is a JSON number with the meter's own digits
(``upstream.jsonexact``); meter date-times and states are strings; times are
ISO 8601 with the concentrator's UTC offset.  With ``uplink.compress =
"zlib"`` the payload is the zlib stream (RFC 1950) of the same JSON, and
MQTT 5 gets the content type ``application/zlib``.

A record's ``addr`` comes from a mapping of meter id to address, asked for
once per batch (``addresses``), never from a search per record.  Values go
to ``upstream.jsonexact`` as the store gives them (Decimal): no conversion.
"""

import time
import zlib

from upstream import jsonexact

ZLIB_TYPE = "application/zlib"


def iso(ts, tz_offset):
    """UTC seconds as local ISO 8601 with the offset: 2026-11-23T00:00:00+08:00."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(ts) + tz_offset)) + \
        "%+03d:%02d" % (tz_offset // 3600, abs(tz_offset) % 3600 // 60)


class PayloadBuilder:
    """Builds (topic, payload) for a batch of store records.

    ``addresses``: a mapping meter id -> address, or a function returning one
    (asked once per batch, so it may change between batches); None: no ``addr``.
    """

    def __init__(self, settings, tz_offset=lambda: 8 * 3600, addresses=None):
        self.s = settings
        self.tz_offset = tz_offset
        if addresses is None:
            addresses = {}
        self._addresses = addresses if callable(addresses) else (lambda: addresses)

    def content_type(self):
        return ZLIB_TYPE if self.s.compress == "zlib" else None

    def build(self, stream, seq, records):
        tz = self.tz_offset()
        if stream == "event":
            body = {"v": 1, "cid": self.s.cid, "seq": seq,
                    "events": [self._event(e, tz) for e in records]}
            topic = self.s.topic("event")
        else:
            addrs = self._addresses()
            body = {"v": 1, "cid": self.s.cid, "seq": seq, "kind": stream,
                    "records": [self._reading(r, tz, addrs) for r in records]}
            topic = self.s.topic("data/" + stream)
        data = jsonexact.dumps(body).encode("utf-8")
        if self.s.compress == "zlib":
            data = zlib.compress(data, 9)
        return topic, data

    @staticmethod
    def _reading(r, tz, addrs):
        out = {"meter": r["meter"], "addr": addrs.get(r["meter"]), "q": r["q"],
               "ts": iso(r["ts"], tz), "value": r["value"], "unit": r["unit"], "src": r["src"]}
        if r.get("read_ts") is not None:
            out["read_ts"] = iso(r["read_ts"], tz)
        if r.get("clock_off"):
            out["clock_off"] = True     # the meter froze it by a clock out of tolerance
        return out

    @staticmethod
    def _event(e, tz):
        return {"id": e["id"], "ts": iso(e["ts"], tz), "type": e["type"],
                "severity": e["severity"], "meter": e["meter"], "detail": e["detail"]}


def decode(payload):
    """A batch payload back to a dict (plain JSON or zlib): for tests and tools."""
    data = bytes(payload)
    if data[:1] != b"{":
        data = zlib.decompress(data)
    return jsonexact.loads(data.decode("utf-8"))
