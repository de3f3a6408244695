"""A simulated DL/T 645-2007 electricity meter (spec/protocols.md section 1).

Functions (clause 7 of the standard):

* 11H read every DI of ``protocols.dlt645_items``: energy (combined, import,
  export, reactive combined 1/2, quadrants I..IV; total, tariffs 1..4, blocks
  xxxxFFxx; settlement periods 1..12 = the value the meter froze at its
  monthly settlement boundary, 1st 00:00 by default), maximum demand and its
  time (current month and settlement periods), voltages, currents, powers,
  power factors, frequency, neutral current, date 04000101, time 04000102,
  address 04000401, meter number 04000402, constants, status words
  04000501..07 and the 040005FF block (word 3 bit 4 = relay open, bit 6 =
  trip command, bit 7 = alarm; word 1 bits 2/3 = battery), settlement days
  04000B01..03, relay trip count 1D000001, cover-open count 03300D00;
  hourly freezes 0504xxNN (NN = 1..254, time + import + export) and daily
  freezes 0506xxNN (NN = 1..62, time + the tariff blocks), both equal to
  ``meter.frozen(...)``; instant freezes 0501xxNN (瞬时冻结, made by 16H).  An absent
  record reads as FFH (decodes to None), as ``frozen`` gives None.
  Unknown DI, a tariff beyond the meter's, timed freezes 0500xxNN,
  prepayment items and load-profile reads (11H with parameters): D1H 02H.
* 12H follow-up: a read whose reply would exceed ``max_data`` (default 200)
  data bytes goes out in frames split at value boundaries: B1H, then
  B2H/92H with the sequence byte, from a snapshot taken at the 11H.
* 13H read address: only to a wildcard address that matches (AAH bytes).
* 14H write with password: 04000101 date, 04000102 time (clock writes);
  settlement days 04000B01..03, hourly freeze interval 04001202 and daily
  freeze time 04001203 (kept in ``params`` and read back);
  wrong password D4H 04H; another known DI D4H 01H, unknown D4H 02H.
* 15H write address (wildcard only), 95H from the new address.
* 08H broadcast time (dlt645_base), 16H freeze (broadcast: no reply;
  addressed: 96H; all 99H = immediate, stored as instant record 1; other
  patterns are accepted and kept in ``freeze_schedule``, timed records are
  not produced), 17H change baud (97H with Z, then ``baud`` changes; a rate
  not in ``bauds`` D7H 08H), 1CH relay control with password (1AH trip,
  1BH/1CH close, 2AH/2BH alarm, 3AH/3BH keep power: a trip while power is
  kept, or after the command's deadline, is DCH 01H; bad password DCH 04H).
* Other functions of the 2007 edition (18H..1BH): error 01H; a control code
  the 2007 edition does not define (a 1997 read 01H): no reply, as a 2007
  meter ignores what it cannot parse (a concentrator probing the edition
  relies on that).

Options (besides sim.meters.base): ``max_data``, ``preamble``,
``passwords``/``password``, ``baud``, ``bauds``, ``wildcard_reads``,
``meter_number``, ``constant`` (imp/kWh, default 1200).

Tamper (the model's tamper windows, sim.faults): cover-open count 03300D00,
terminal-cover-open count 03300E00 and magnetic interference count 03350000
count the windows begun, the event records 03300D01, 03300E01 and 03350001
give the latest one's start and end (12 bytes: the head only); status word 1
bit 4 = reverse power, word 7 bits 9/10 = meter cover / terminal cover open
while a window lasts.
"""

from protocols.dlt645 import edition2007 as codec
from protocols.dlt645 import formats as fmts
from protocols.dlt645 import items
from protocols.core.errors import CodecError
from protocols.dlt645.frame import BROADCAST, Frame, address_bytes
from sim.meters.dlt645_base import Dlt645Base
from sim.model_clock import local_iso

_BLOCKS = dict(items.BLOCKS)
_BAUD_OF_CODE = dict(codec.BAUDS)
_DEMAND_FMT = "XX.XXXX+YYMMDDhhmm"
_FREEZE_CONTENT = dict((row[0], row[1:]) for row in items.FREEZE_CONTENT)
_DEFINED = dict(codec.FUNCTIONS)
INSTANT_RECORDS = 3
# parameters a 14H write may change (kept and read back; the model's
# settlement boundary and freeze times stay as configured)
WRITABLE = (0x04000B01, 0x04000B02, 0x04000B03, 0x04001202, 0x04001203)


class NoData(Exception):
    """The meter has no such data (error word 02H)."""


class Dlt645Meter(Dlt645Base):
    protocol = "dlt645-2007"
    BROADCAST_FUNCTIONS = (0x08, 0x16)
    WILDCARD_FUNCTIONS = (0x13, 0x15)

    def _configure(self, options):
        super()._configure(options)
        self.max_data = int(options.pop("max_data", 200))
        self.constant = int(options.pop("constant", 1200))
        if self.max_data < 16:
            raise ValueError("max_data must leave room for a DI and a value")
        self.instants = []            # true times of immediate freezes, newest first
        self.params = {}              # meter parameters written (14H): quantity -> value
        self.freeze_schedule = None
        self.relay_command_open = False
        self.alarm = False
        self.keep_power = False
        self._pending = None          # (di, [chunks]) of a multi-frame read

    def _read_functions(self):
        return (0x11, 0x12)

    # ---------------------------------------------------------- dispatch ---
    def _handle(self, raw):
        f = codec.decode(raw)
        fn = f.control & 0x1F
        if f.address == BROADCAST:
            self.counters["broadcasts"] += 1
            if fn == 0x08:
                self._time_sync(f.data)
            elif fn == 0x16 and len(f.data) == 4:
                self._freeze(f.data)
            return None
        wildcard = f.address != self.address
        if fn == 0x08:
            self._time_sync(f.data)
            return None
        if fn == 0x13:
            return self._ok(0x13, address_bytes(self.address)) if wildcard else None
        if fn == 0x15:
            if not wildcard or len(f.data) != 6:
                return None
            self.address = fmts.decode("NNNNNNNNNNNN", f.data)
            return self._ok(0x15)
        handler = {0x11: self._read, 0x12: self._follow_up, 0x14: self._write,
                   0x16: self._freeze_cmd, 0x17: self._baud_cmd, 0x1C: self._relay}.get(fn)
        if handler is None:
            # 18H..1BH exist but are not simulated; a 1997 code means nothing here
            return self._error(fn, 0x01) if fn in _DEFINED else None
        return handler(f.data)

    def _ok(self, fn, data=b""):
        return self._reply(codec.reply_ack(self.address, fn, data))

    def _error(self, fn, word):
        self.counters["errors"] += 1
        return self._reply(codec.reply_error(self.address, fn, word))

    # -------------------------------------------------------------- read ---
    def _read(self, data):
        if len(data) != 4:
            return self._error(0x11, 0x02)
        di = int.from_bytes(data[0:4], "little")
        try:
            values, sizes = self.read_values(di)
            body = items.encode_items(di, values)
        except (NoData, KeyError, CodecError):
            return self._error(0x11, 0x02)
        chunks = self._chunks(body, sizes)
        self._pending = (di, chunks) if len(chunks) > 1 else None
        frame = codec.reply_read(self.address, di, chunks[0], more=len(chunks) > 1)
        return self._reply(frame)

    def _chunks(self, body, sizes):
        caps = [self.max_data - 4] + [self.max_data - 5] * len(sizes)
        chunks, start, pos = [], 0, 0
        for size in sizes:
            if pos + size - start > caps[len(chunks)] and pos > start:
                chunks.append(body[start:pos])
                start = pos
            pos += size
        chunks.append(body[start:pos])
        return chunks

    def _follow_up(self, data):
        if len(data) != 5:
            return self._error(0x12, 0x02)
        di = int.from_bytes(data[0:4], "little")
        seq = data[4]
        pending = self._pending
        if pending is None or pending[0] != di or not 1 <= seq < len(pending[1]):
            return self._error(0x12, 0x02)
        chunks = pending[1]
        more = seq < len(chunks) - 1
        body = codec.di_bytes(di) + chunks[seq] + bytes((seq,))
        return self._reply(Frame(self.address, 0xB2 if more else 0x92, body))

    def read_values(self, di):
        """(value or list of values, byte sizes of the items) for a read of ``di``."""
        item = items.lookup(di)
        if item is not None:
            return self._item_value(item), [item.size]
        its = self._block_items(di)
        if not its:
            raise NoData(di)
        return [self._item_value(i) for i in its], [i.size for i in its]

    def _block_items(self, di):
        fixed = _BLOCKS.get(di)
        if fixed is not None:
            return [items.lookup(m) for m in fixed]
        d3, d2, d1 = di >> 24, (di >> 16) & 0xFF, (di >> 8) & 0xFF
        count = 1 + self.model.tariffs
        try:
            if d3 in (0x00, 0x01) and d1 == 0xFF:
                return items.members(di, (4 if d3 == 0 else 8) * count)
            if d3 == 0x05 and d2 == 0x04 and d1 == 0xFF:
                return items.members(di, 0)
            if d3 == 0x05 and d1 in _FREEZE_CONTENT and d1:
                return items.members(di, fmts.size(_FREEZE_CONTENT[d1][1]) * count)
        except CodecError:
            return None
        return None

    def _item_value(self, item):
        q, period, fmt = item.quantity, item.period, item.fmt
        if period:
            kind, _, n = period.partition(":")
            t, boundary = self._period_instant(kind, int(n))
            if q == "freeze.time":
                if t is None:
                    return None
                if kind == "instant":       # stamped by the meter's clock when taken
                    return self.model.meter_iso(t, minutes=True)
                return local_iso(boundary, self.model.tz, minutes=True)
            if fmt == _DEMAND_FMT:
                return self._demand(q, t, kind, int(n))
            if t is None:
                return None
            return self.model.value(q, t)
        if fmt == _DEMAND_FMT:
            return self._demand(q, None, None, 0)
        static = self._static(q)
        if static is not None:
            return static
        return self.value(q)

    def _period_instant(self, kind, n):
        """(true instant, boundary) of a history period, or (None, None)."""
        model = self.model
        if kind == "settlement":
            b = model.boundary("monthly", n)
            return model.freeze_instant("monthly", b), b
        if kind in ("daily", "hourly"):
            b = model.boundary(kind, n)
            return model.freeze_instant(kind, b), b
        if kind == "instant":
            if n > len(self.instants):
                return None, None
            return self.instants[n - 1], self.instants[n - 1]
        raise NoData(kind)

    def _demand(self, q, t, kind, n):
        model = self.model
        if kind is not None and t is None:
            return {"value": None, "time": None}
        t_from = None
        if kind == "settlement":
            older = model.boundary("monthly", n + 1)
            t_from = model.mclock.reached(older) or model.t0
        time_q = q.replace(".max.", ".time.")
        return {"value": model.demand(q, t, t_from), "time": model.demand(time_q, t, t_from)}

    def _static(self, q):
        if q.startswith("meter.status."):
            return self._status_word(int(q.rsplit(".", 1)[1]))
        if q in self.params:
            return self.params[q]
        model = self.model
        table = {
            "meter.address": self.address,
            "meter.number": self.meter_number,
            "meter.constant.active": self.constant,
            "meter.constant.reactive": self.constant,
            "settlement.day.1": "%02dT%02d" % (model.bounds.settle_day, model.bounds.settle_hour),
            "settlement.day.2": "99T99",
            "settlement.day.3": "99T99",
            "freeze.daily.time": "00:00",
            "freeze.hourly.interval": codec.num("60"),
            "count.relay_trip": model.relay_trips,
            "count.cover_open": model.tamper_count("cover"),
            "count.terminal_cover_open": model.tamper_count("terminal_cover"),
            "count.magnetic": model.tamper_count("magnetic"),
        }
        if q.startswith("tamper.") and q.endswith(".last"):
            last = model.tamper_last(q[len("tamper."):-len(".last")])
            if last is None:
                return {"value": None, "time": None}
            return {"value": model.meter_iso(last[0]),
                    "time": None if last[1] is None else model.meter_iso(last[1])}
        if q in ("energy.prepaid.remaining", "credit.remaining"):
            raise NoData(q)
        if q == "temperature.meter":
            return codec.num("25.0")
        if q == "battery.voltage":
            return codec.num("2.80" if model.battery_low() else "3.60")
        return table.get(q)

    # -------------------------------------------------------------- write ---
    def _write(self, data):
        if len(data) < 12:
            return self._error(0x14, 0x01)
        di = int.from_bytes(data[0:4], "little")
        if not self._password_ok(data[4], data[5:8]):
            return self._error(0x14, 0x04)
        value = data[12:]
        try:
            if di == 0x04000101 and len(value) == 4:
                self._set_date_or_time(date=fmts.decode("YYMMDDWW", value))
            elif di == 0x04000102 and len(value) == 3:
                self._set_date_or_time(time=fmts.decode("hhmmss", value))
            elif di in WRITABLE:
                item = items.lookup(di)
                if len(value) != item.size:
                    return self._error(0x14, 0x01)
                self.params[item.quantity] = items.decode_items(di, bytes(value), 14)[0]["value"]
            else:
                return self._error(0x14, 0x01 if items.lookup(di) else 0x02)
        except (CodecError, ValueError):
            return self._error(0x14, 0x01)
        return self._ok(0x14)

    # ---------------------------------------------- freeze, baud, relay ---
    def _freeze(self, data):
        if bytes(data) == b"\x99\x99\x99\x99":
            self.instants.insert(0, self.now())
            del self.instants[INSTANT_RECORDS:]
        else:
            self.freeze_schedule = codec.freeze_text(data)

    def _freeze_cmd(self, data):
        if len(data) != 4:
            return self._error(0x16, 0x01)
        self._freeze(data)
        return self._ok(0x16)

    def _baud_cmd(self, data):
        baud = _BAUD_OF_CODE.get(data[0]) if len(data) == 1 else None
        if baud is None or baud not in self.bauds:
            return self._error(0x17, 0x08)
        reply = self._ok(0x17, bytes(data))
        self.baud = baud
        return reply

    def _relay(self, data):
        if len(data) != 16:
            return self._error(0x1C, 0x01)
        if not self._password_ok(data[0], data[1:4]):
            return self._error(0x1C, 0x04)
        if data[10:16] != bytes(6):
            try:
                deadline = fmts.decode("YYMMDDhhmmss", data[10:16])
            except CodecError:
                return self._error(0x1C, 0x01)
            if deadline < self.model.meter_iso():
                return self._error(0x1C, 0x01)
        n1 = data[8]
        model = self.model
        if n1 == 0x1A:
            if self.keep_power:
                return self._error(0x1C, 0x01)
            model.relay_command(False)
            self.relay_command_open = True
        elif n1 in (0x1B, 0x1C):
            model.relay_command(True)
            self.relay_command_open = False
        elif n1 in (0x2A, 0x2B):
            self.alarm = n1 == 0x2A
        elif n1 in (0x3A, 0x3B):
            self.keep_power = n1 == 0x3A
            if self.keep_power:
                model.relay_command(True)
                self.relay_command_open = False
        else:
            return self._error(0x1C, 0x01)
        return self._ok(0x1C)
