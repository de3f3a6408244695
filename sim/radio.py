"""A simulated micro-power radio module on the concentrator's UART (Q/GDW 1376.2-2013).

``RadioModule(clock, ...).receive(data)`` takes downlink bytes in any chunks
and returns ``[(delay_seconds, uplink_frame), ...]`` like ``sim.bus.Bus``.
Replies carry the request's sequence number (R6) and communication mode.

Radio meters are SimMeters the module can reach: ``attach(meter,
node_address=None)`` (node address = the meter's 12-digit address; a
CJ/T188 meter's lowest 12 digits).  The concentrator's node table (AFN 11H)
is separate: a meter is read only when its node is in the table.

Downlink handled (clause numbers of the 2013 standard's AFN list):

* 00H (the concentrator's confirm/deny) and 14H (answers to route reads):
  taken, no answer.
* 01H F1 hardware init, F3 data init: confirm; F2 parameter init: confirm
  and the node table is emptied.
* 02H F1 transparent forward: the frame goes to the attached meter it
  addresses (in the node table); its answer comes back as 02H F1 uplink
  after the radio delay, or nothing on loss.
* 03H F1 vendor code/version, F4 master address, F10 run-mode info.
* 04H F1/F2/F3 link tests: confirm.
* 05H F1 set master address, F2 reporting, F4, F5: confirm; F3 start
  broadcast: the embedded frame (e.g. a DL/T645 broadcast time sync) goes
  to every attached meter, confirm.
* 10H F1 node count, F2 node info (start index from 1, count), F4 router
  status.
* 11H F1 add nodes (a node already there: deny 06H, nothing added), F2
  delete (a node not there: deny 07H, nothing deleted), F5/F6
  registration: confirm.
* 12H F1 restart, F2 pause, F3 resume: confirm (``routing`` says which).
* 13H F1 read a node: a destination not in the node table is denied at once
  (00H F2, error 07H "meter number does not exist").  Otherwise the
  embedded frame, cut out as the request's protocol type says (the
  registry row with that ``radio_type``; the meter's own protocol when
  none has it), goes to the attached meter; its reply comes back as 13H F1
  uplink (transfer duration in seconds, protocol type, the meter's frame
  with its FE preamble) after ``radio_delay`` (uniform in the given range,
  seeded; ``delay=d`` is the fixed range (d, d)) plus the meter's reply
  delay.  When the radio loses the exchange
  (``loss`` probability, seeded), the node is not attached or the meter does
  not answer, the module answers after ``timeout`` seconds, as modules do
  when their monitor timeout runs out: by default a 13H F1 uplink with frame
  length 0 (``loss_reply="empty"``, what the 2013 standard's reading-failure
  reply looks like as far as public implementations show), or with
  ``loss_reply="deny"`` a 00H F2 with error 0BH "slave node no reply".
* Anything else: deny 04H (information class does not exist); a data unit
  that does not decode: deny 01H.

``outage(True)`` (the radio outage fault): no answers at all until
``outage(False)``.  ``counters`` count frames, replies, losses, denies.
"""

import random

from protocols.gdw1376_2 import codec as g
from protocols.gdw1376_2 import build as gb
from protocols.core.errors import CodecError
from protocols import registry
from sim.bus import family_of, new_deframer


class RadioModule:
    """The module and its slave-node table (see module docstring)."""

    def __init__(self, clock, master_address="000000000001", comm_mode=g.RADIO,
                 vendor_code="SM", chip_code="RF", version_date="2024-01-01", version="0100",
                 max_nodes=1024, radio_delay=(0.3, 2.0), loss=0.0, timeout=10,
                 loss_reply="empty", reply_delay=0.05, seed=0, delay=None):
        if loss_reply not in ("empty", "deny"):
            raise ValueError("loss_reply is 'empty' or 'deny'")
        self.clock = clock
        self.master_address = master_address
        self.comm_mode = comm_mode
        self.vendor = (vendor_code, chip_code, version_date, version)
        self.max_nodes = max_nodes
        if delay is not None:         # the scenario's single "delay": a fixed hop time
            radio_delay = delay if isinstance(delay, (list, tuple)) else (delay, delay)
        self.radio_delay = (float(radio_delay[0]), float(radio_delay[1]))
        self.loss = float(loss)
        self.timeout = timeout
        self.loss_reply = loss_reply
        self.reply_delay = reply_delay
        self.random = random.Random(seed)
        self.nodes = []               # [(address, protocol type)] in table order
        self.meters = {}              # node address -> SimMeter in radio range
        self.routing = "running"
        self.reporting = True
        self.down = False
        self._deframer = g.Deframer()
        self.counters = {"frames": 0, "replies": 0, "losses": 0, "denies": 0, "reads": 0}

    # ------------------------------------------------------------ set-up ---
    def attach(self, meter, node_address=None):
        addr = node_address or str(meter.address)[-12:].rjust(12, "0")
        self.meters[addr] = meter
        return addr

    def outage(self, on=True):
        self.down = bool(on)

    def node_addresses(self):
        return [a for a, _ in self.nodes]

    # ----------------------------------------------------------- receive ---
    def receive(self, data):
        out = []
        for frame in self._deframer.feed(data):
            self.counters["frames"] += 1
            if self.down:
                continue
            try:
                f = g.decode(frame)
            except CodecError:
                continue
            if f.up:
                continue
            out.extend(self._answer(f))
        self.counters["replies"] += len(out)
        out.sort(key=lambda o: o[0])
        return out

    def _kw(self, f):
        return {"seq": f.seq, "comm_mode": f.control & 0x3F}

    def _confirm(self, f):
        return [(self.reply_delay, gb.confirm(up=True, **self._kw(f)))]

    def _deny(self, f, code, delay=None):
        self.counters["denies"] += 1
        return [(self.reply_delay if delay is None else delay,
                 gb.deny(code, up=True, **self._kw(f)))]

    def _answer(self, f):
        afn, fn = f.afn, f.fn
        if afn in (0x00, 0x14):
            return []
        try:
            fields = g.parse(f)
        except CodecError:
            return self._deny(f, 1)
        kw = self._kw(f)
        if afn == 0x01 and fn in (1, 2, 3):
            if fn == 2:
                self.nodes = []
            return self._confirm(f)
        if afn == 0x03 and fn == 1:
            return [(self.reply_delay, gb.vendor_reply(*self.vendor, **kw))]
        if afn == 0x03 and fn == 4:
            return [(self.reply_delay, gb.master_address_reply(self.master_address, **kw))]
        if afn == 0x03 and fn == 10:
            return [(self.reply_delay, gb.run_mode_reply(self._run_mode(), **kw))]
        if afn == 0x04 and fn in (1, 2, 3):
            return self._confirm(f)
        if afn == 0x05 and fn == 1:
            self.master_address = fields["master_node_address"]
            return self._confirm(f)
        if afn == 0x05 and fn == 2:
            self.reporting = bool(fields["allow"])
            return self._confirm(f)
        if afn == 0x05 and fn == 3:
            for meter in self.meters.values():
                self._to_meter(meter, fields["inner_frame"])
            return self._confirm(f)
        if afn == 0x05 and fn in (4, 5):
            return self._confirm(f)
        if afn == 0x10:
            return self._query(f, fn, fields)
        if afn == 0x11:
            return self._route_setup(f, fn, fields)
        if afn == 0x12 and fn in (1, 2, 3):
            self.routing = {1: "running", 2: "paused", 3: "running"}[fn]
            return self._confirm(f)
        if afn == 0x13 and fn == 1:
            return self._monitor(f, fields)
        if afn == 0x02 and fn == 1:
            return self._forward(f, fields)
        return self._deny(f, 4)

    # ------------------------------------------------------------ tables ---
    def _run_mode(self):
        vendor, chip, date, version = self.vendor
        return {"comm_type": 3, "route_management": 1, "monitor_timeout_s": self.timeout,
                "broadcast_timeout_s": self.timeout, "max_frame_length": 255,
                "master_node_address": self.master_address, "max_slaves": self.max_nodes,
                "slave_count": len(self.nodes), "protocol_date": "2013-12-01",
                "protocol_record_date": "2013-12-01", "vendor_code": vendor,
                "chip_code": chip, "version_date": date, "version": version,
                "rate_count": 1, "rates": [{"rate": 9600}]}

    def _query(self, f, fn, fields):
        kw = self._kw(f)
        if fn == 1:
            return [(self.reply_delay, gb.slave_count_reply(len(self.nodes), self.max_nodes,
                                                            **kw))]
        if fn == 2:
            start = max(1, fields["start_index"])
            chosen = self.nodes[start - 1:start - 1 + fields["count"]]
            nodes = [{"address": a, "relay_level": 0, "signal_quality": 12, "phase": 0,
                      "protocol": p} for a, p in chosen]
            return [(self.reply_delay, gb.slave_info_reply(len(self.nodes), nodes, **kw))]
        if fn == 4:
            status = {"route_done": 1, "working": 1 if self.routing == "running" else 0,
                      "slave_count": len(self.nodes), "read_count": self.counters["reads"],
                      "rate": 9600}
            return [(self.reply_delay, gb.router_status_reply(status, **kw))]
        return self._deny(f, 4)

    def _route_setup(self, f, fn, fields):
        if fn == 1:
            have = set(self.node_addresses())
            new = [(n["address"], n["protocol"]) for n in fields["nodes"]]
            if any(a in have for a, _ in new) or len(set(a for a, _ in new)) != len(new):
                return self._deny(f, 6)
            if len(self.nodes) + len(new) > self.max_nodes:
                return self._deny(f, 1)
            self.nodes.extend(new)
            return self._confirm(f)
        if fn == 2:
            have = set(self.node_addresses())
            gone = fields["addresses"]
            if any(a not in have for a in gone):
                return self._deny(f, 7)
            self.nodes = [n for n in self.nodes if n[0] not in gone]
            return self._confirm(f)
        if fn in (5, 6):
            return self._confirm(f)
        return self._deny(f, 4)

    # ----------------------------------------------------------- reading ---
    def _to_meter(self, meter, inner, ptype=None):
        """The meter's output for an embedded frame: (extra delay, bytes) or None."""
        frames = new_deframer(_family(ptype, meter)).feed(inner)
        if not frames:
            return None
        reply = meter.handle(frames[0])
        if reply is None:
            return None
        outs = (meter.faults.apply(meter, frames[0], reply, self.clock.time())
                if meter.faults else [(0.0, reply)])
        if not outs:
            return None
        return max(d for d, _ in outs), b"".join(b for _, b in outs)

    def _exchange(self, node, inner, ptype=None):
        """(delay, meter reply or None): one radio exchange with ``node``."""
        self.counters["reads"] += 1
        lost = self.random.random() < self.loss
        lo, hi = self.radio_delay
        delay = self.random.uniform(lo, hi)
        meter = self.meters.get(node)
        answer = None if lost or meter is None else self._to_meter(meter, inner, ptype)
        if answer is None or delay + answer[0] + meter.reply_delay > self.timeout:
            self.counters["losses"] += 1
            return self.timeout, None
        return delay + answer[0] + meter.reply_delay, answer[1]

    def _monitor(self, f, fields):
        node = f.dst
        if node not in self.node_addresses():
            return self._deny(f, 7)
        delay, reply = self._exchange(node, fields["inner_frame"], fields["protocol_type"])
        if reply is None and self.loss_reply == "deny":
            return self._deny(f, 11, delay)
        frame = gb.monitor_reply(node, self.master_address, reply or b"",
                                 fields["protocol_type"], int(round(delay)), **self._kw(f))
        return [(delay, frame)]

    def _forward(self, f, fields):
        inner = fields["inner_frame"]
        for node, _ in self.nodes:
            meter = self.meters.get(node)
            if meter is not None and meter.addressed(_strip(meter, inner)):
                delay, reply = self._exchange(node, inner, fields["protocol_type"])
                if reply is None:
                    return []
                return [(delay, gb.forward(fields["protocol_type"], reply, up=True,
                                           **self._kw(f)))]
        return []


def _family(ptype, meter):
    """The frame family the request's 1376.2 protocol type names (the
    registry's ``radio_type``), or the meter's own when it names none."""
    row = registry.by_radio_type(ptype) if ptype is not None else None
    return row.family if row is not None else family_of(meter.protocol)


def _strip(meter, inner):
    frames = new_deframer(family_of(meter.protocol)).feed(inner)
    return frames[0] if frames else b""
