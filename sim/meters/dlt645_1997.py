"""A simulated DL/T 645-1997 electricity meter (spec/protocols.md section 2).

Functions (clause 5.2 of the 1997 edition, as ``protocols.dlt645_1997``):

* 01H read the DIs of ``protocols.dlt645_1997``: energy 90xx/91xx current,
  94xx/95xx last month and 98xx/99xx the month before (settlement periods 1
  and 2: the values frozen at the monthly settlement boundary), tariffs and
  xxxF blocks; maximum demand A0xx/A4xx/A8xx and its time B0xx/B4xx/B8xx;
  B61x voltages (whole volts), B62x currents (2 decimals, truncated),
  B63x active power, B64x reactive power (2 decimals), B65x power factor;
  C010 date, C011 time, C020 status byte (bit 6 relay open, bit 2 battery),
  C030/C031 constants, C032 meter number, C033 user number, C117
  settlement day.  Reply 81H; an unknown DI C1H with error word 02H (data
  identifier error).
* 04H write with password (PA P0 P1 P2 = level and ``passwords``): C010
  date, C011 time; reply 84H; wrong password C4H 04H, other DIs C4H 02H.
* 08H broadcast time sync (dlt645_base rules), 0AH write address (to the
  wildcard address, reply 8AH), 0CH change baud (8CH with Z, then ``baud``
  changes; refused CCH 08H).  Other 1997 functions: error 01H; a control
  code the 1997 edition does not define (a 2007 read 11H): no reply.
* Reads to a matching wildcard address are answered with the real address
  (C032 at AAAAAAAAAAAA is how a 1997 address is learnt).

Options as the 2007 meter: ``preamble``, ``passwords``/``password``,
``baud`` (default 1200), ``bauds``, ``wildcard_reads``, ``meter_number``,
``user_number``, ``constant``.
"""

from protocols.dlt645 import edition1997 as codec
from protocols.dlt645 import formats as fmts
from protocols.core.errors import CodecError
from protocols.core.num import Num
from protocols.dlt645.frame import BROADCAST, Frame
from sim.meters.dlt645_base import Dlt645Base

_BAUD_OF_CODE = dict(codec.BAUDS)
_DEFINED = dict(codec.FUNCTIONS)


class Dlt645_1997Meter(Dlt645Base):
    protocol = "dlt645-1997"
    WILDCARD_FUNCTIONS = (0x0A,)
    RESOLUTION = (("current.", 2), ("power.reactive.", 2), ("voltage.", 0))

    def _configure(self, options):
        options.setdefault("baud", 1200)
        super()._configure(options)
        self.user_number = str(options.pop("user_number", self.address))
        self.constant = int(options.pop("constant", 1200))

    def _read_functions(self):
        return (0x01,)

    def _handle(self, raw):
        f = codec.decode(raw)
        fn = f.control & 0x1F
        if f.address == BROADCAST or fn == 0x08:
            if f.address == BROADCAST:
                self.counters["broadcasts"] += 1
            if fn == 0x08:
                self._time_sync(f.data)
            return None
        if fn == 0x01:
            return self._read(f.data)
        if fn == 0x04:
            return self._write(f.data)
        if fn == 0x0A:
            if f.address == self.address or len(f.data) != 6:
                return None
            self.address = fmts.decode("NNNNNNNNNNNN", f.data)
            return self._reply(Frame(self.address, 0x8A, b""))
        if fn == 0x0C:
            baud = _BAUD_OF_CODE.get(f.data[0]) if len(f.data) == 1 else None
            if baud is None or baud not in self.bauds:
                return self._error(0x0C, 0x08)
            reply = self._reply(Frame(self.address, 0x8C, bytes(f.data)))
            self.baud = baud
            return reply
        # 02H/03H/0FH/10H exist but are not simulated; a 2007 code means nothing here
        return self._error(fn, 0x01) if fn in _DEFINED else None

    def _error(self, fn, word):
        self.counters["errors"] += 1
        return self._reply(codec.reply_error(self.address, fn, word))

    # -------------------------------------------------------------- read ---
    def _read(self, data):
        if len(data) != 2:
            return self._error(0x01, 0x02)
        di = int.from_bytes(data, "little")
        try:
            item = codec.lookup(di)
            if item is not None:
                values = self._item_value(item)
            else:
                its = self._block_items(di)
                if not its:
                    return self._error(0x01, 0x02)
                values = [self._item_value(i) for i in its]
            body = codec.encode_items(di, values)
        except (KeyError, CodecError, LookupError):
            return self._error(0x01, 0x02)
        return self._reply(codec.reply_read(self.address, di, body))

    def _block_items(self, di):
        if di & 0x0F != 0x0F:
            return None
        try:
            first = codec.lookup(di & 0xFFF0)
            fixed = codec.members(di, 0) if first is None else None
        except CodecError:
            return None
        if fixed:
            return fixed
        if first is None:
            return None
        count = 1 + (self.model.tariffs if first.quantity.endswith(".total") and
                     first.fmt != "XXX" else 0)
        try:
            return codec.members(di, first.size * count)
        except CodecError:
            return None

    def _item_value(self, item):
        q, period = item.quantity, item.period
        model = self.model
        t, t_from = None, None
        if period:
            n = int(period.split(":")[1])
            b = model.boundary("monthly", n)
            t = model.freeze_instant("monthly", b)
            if t is None:
                return None
            t_from = model.mclock.reached(model.boundary("monthly", n + 1)) or model.t0
        if q.startswith("demand."):
            if ".time." in q:
                when = model.demand(q, t, t_from)
                return None if when is None else "--" + when[5:16]
            return model.demand(q, t, t_from)
        if t is not None:
            return model.value(q, t)
        static = {
            "meter.number": self.meter_number,
            "meter.user_number": self.user_number,
            "meter.constant.active": self.constant,
            "meter.constant.reactive": self.constant,
            "settlement.day.1": "%02dT%02d" % (model.bounds.settle_day,
                                               model.bounds.settle_hour),
        }.get(q)
        if static is not None:
            return static
        if q == "meter.status.1":
            return "%02X" % ((0x40 if not model.gate.state(self.now()) else 0) |
                             (0x04 if model.battery_low() else 0))
        value = self.value(q)
        if isinstance(value, Num) and item.fmt in ("XX.XXXX", "XX.XX", "X.XXX") and value.m < 0:
            value = Num(-value.m, value.e)     # 1997 formats carry no sign
        return value

    # -------------------------------------------------------------- write ---
    def _write(self, data):
        if len(data) < 6:
            return self._error(0x04, 0x01)
        di = int.from_bytes(data[0:2], "little")
        if not self._password_ok(data[2], data[3:6]):
            return self._error(0x04, 0x04)
        value = data[6:]
        try:
            if di == 0xC010 and len(value) == 4:
                self._set_date_or_time(date=fmts.decode("YYMMDDWW", value))
            elif di == 0xC011 and len(value) == 3:
                self._set_date_or_time(time=fmts.decode("hhmmss", value))
            else:
                return self._error(0x04, 0x02)
        except (CodecError, ValueError):
            return self._error(0x04, 0x01)
        return self._reply(Frame(self.address, 0x84, b""))
