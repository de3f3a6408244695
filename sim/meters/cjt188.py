"""Simulated CJ/T 188-2004 water, gas and heat meters (spec/protocols.md section 3).

Meter type byte: 10H cold water, 30H gas, 20H heat by default
(``meter_type`` overrides).  A request is for the meter when its type is the
meter's or AAH and its address is the meter's; 810A read address also
answers a wildcard address (AAH bytes match anything), as do reads when
``wildcard_reads`` (default True).

* 01H 901F current data: water/gas (L=16H) current volume, volume at the
  last monthly settlement day (= ``meter.frozen("monthly", ...)``), meter
  time, ST; heat (L=2EH) settlement heat, current heat, thermal power,
  flow, volume, supply/return temperature, operating hours, time, ST.
* 01H D120..D12B: history month N = the value frozen at the N-th most recent
  settlement boundary (D120 equals 901F's settlement value); FFH when the
  meter has no such record.  8103 settlement day, 8104 reading day, 8106 key
  version.
* 03H 810A read address: 83H from the meter's own address and type.
* 04H A017 valve control (55H open, 99H close): reply ST after the command;
  with ``motor_seconds`` the valve moves later (the reply still shows the
  old state); a stuck valve refuses and reports valve bits 11 (fault).
  04H A015 write standard time; 16H A016 write meter base (the volume
  register jumps to the value written, in tariff 1: part of the oracle).
  15H A018 write address (replies from the new address); 04H A011 / A012
  write the settlement / reading day 1..28 (read back by 8103 / 8104; the
  model's settlement boundary stays).
* ST0: bits 1..0 valve (00 open, 01 closed, 11 fault), bit 2 battery low.
* Anything else (price table, purchase, key writes, an unknown DI, a DI in
  the byte order the meter was not configured for): abnormal reply
  C0H | function with SER ST0 ST1.

DI byte order: ``di_order`` None (default) accepts both orders and echoes
the one received; "le" / "be" accepts only that order.  Replies carry the
``preamble`` (default FE FE FE FE).
"""

from protocols.cjt188 import fields as cjt188_fields
from protocols.cjt188 import codec
from protocols.core.errors import CodecError, UnknownIdentifierError
from sim.meters.base import SimMeter, frame_start, resum
from sim.model import units
from sim.model_clock import parse_local_iso

TYPES = {"water": 0x10, "gas": 0x30, "heat": 0x20}


def pattern_matches(pattern, address):
    if len(pattern) != len(address):
        return False
    for k in range(0, len(address), 2):
        p = pattern[k:k + 2]
        if p != "AA" and p != address[k:k + 2]:
            return False
    return True


class Cjt188Meter(SimMeter):
    protocol = "cjt188"
    KINDS = ("water", "gas", "heat")
    REPLY_DELAY = 0.08
    RESOLUTION = (("heat.power", 2),)

    def _normal_address(self, address):
        s = str(address).strip().upper()
        if not s.isdigit() or len(s) > 14:
            raise ValueError("a CJ/T188 address is up to 14 decimal digits, got %r" % (address,))
        return "0" * (14 - len(s)) + s

    def _configure(self, options):
        self.meter_type = int(options.pop("meter_type", TYPES[self.kind]))
        self.preamble = bytes(options.pop("preamble", codec.WAKE_UP))
        self.di_order = options.pop("di_order", None)
        if self.di_order not in (None, "le", "be"):
            raise ValueError("di_order is None, 'le' or 'be'")
        self.wildcard_reads = bool(options.pop("wildcard_reads", True))
        self.reading_day = int(options.pop("reading_day", 1))
        self.settlement_day = None    # written by A011 (the model's boundary stays)
        self.key_version = int(options.pop("key_version", 0))

    # ---------------------------------------------------------- address ---
    def readdress(self, data, address=None):
        """The reply with another meter's address (default: this one's + 1)."""
        if address is None:
            address = "%014d" % ((int(self.address) + 1) % 10 ** 14)
        raw = bytes(reversed(bytes.fromhex(str(address).zfill(14))))
        i = frame_start(data)
        at = i + 2
        return resum(data[:at] + raw + data[at + len(raw):], i, len(data) - 2)

    def addressed(self, frame):
        try:
            f = codec.decode(frame)
        except CodecError:
            return False
        if f.control & 0x80 or f.meter_type not in (self.meter_type, 0xAA):
            return False
        if f.address == self.address:
            return True
        if "AA" not in f.address or not pattern_matches(f.address, self.address):
            return False
        fn = f.control & 0x3F
        return fn == 0x03 or (self.wildcard_reads and fn == 0x01)

    # --------------------------------------------------------- handling ---
    def _handle(self, raw):
        f = codec.decode(raw)
        fn = f.control & 0x3F
        ser = f.data[2] if len(f.data) >= 3 else 0
        try:
            p = codec.parse(f)
        except UnknownIdentifierError:
            return self._abnormal(fn, ser)
        di, order = int(p["di"], 16), p["di_order"]
        if self.di_order is not None and order != self.di_order:
            return self._abnormal(fn, ser)
        t = self.now()
        if fn == 0x01 and di == 0x901F:
            return self._out(codec.current_reply(self.meter_type, self.address,
                                                 self.current_fields(t), ser, order))
        if fn == 0x01 and 0xD120 <= di <= 0xD12B:
            month = di - 0xD11F
            return self._out(codec.history_reply(self.meter_type, self.address, month,
                                                 self.settlement_value(month, t), None, ser,
                                                 order))
        simple = {(0x01, 0x8103): {"settlement_day": self.settlement_day or
                                   self.model.bounds.settle_day},
                  (0x01, 0x8104): {"reading_day": self.reading_day},
                  (0x09, 0x8106): {"key_version": self.key_version},
                  (0x03, 0x810A): {}}.get((fn, di))
        if simple is not None:
            return self._out(codec.reply(self.meter_type, self.address, di, simple, ser, order))
        if fn == 0x04 and di == 0xA017:
            return self._valve(p, ser, order)
        if fn == 0x04 and di == 0xA015 and p.get("meter_time"):
            self.model.set_meter_time(parse_local_iso(p["meter_time"], self.model.tz), t)
            return self._out(codec.reply(self.meter_type, self.address, di, None, ser, order))
        if fn == 0x04 and di in (0xA011, 0xA012):
            day = p.get("settlement_day" if di == 0xA011 else "reading_day")
            if day is None or not 1 <= day <= 28:
                return self._abnormal(fn, ser)
            if di == 0xA011:
                self.settlement_day = day
            else:
                self.reading_day = day
            return self._out(codec.reply(self.meter_type, self.address, di, None, ser, order))
        if fn == 0x16 and di == 0xA016:
            return self._meter_base(p, ser, order)
        if fn == 0x15 and di == 0xA018 and p.get("new_address"):
            self.address = self._normal_address(p["new_address"])
            return self._out(codec.reply(self.meter_type, self.address, di, None, ser, order))
        return self._abnormal(fn, ser)

    def _out(self, frame):
        return self.preamble + frame

    def status(self, t=None):
        model = self.model
        return cjt188_fields.status_bytes(model.valve_state(t), model.battery_low(t))

    def _abnormal(self, fn, ser):
        self.counters["errors"] += 1
        return codec.error_reply(self.meter_type, self.address, fn, self.status(), ser,
                                 self.preamble)

    # ----------------------------------------------------------- values ---
    def settlement_value(self, n, t=None):
        """The main register frozen at the n-th most recent settlement boundary."""
        model = self.model
        b = model.boundary("monthly", n, t)
        frozen = model.frozen("monthly", b, t)
        name = "heat.energy.total" if self.kind == "heat" else "volume.total"
        return None if frozen is None else frozen[name]

    def current_fields(self, t=None):
        """The named fields of the 901F reply at true time ``t``."""
        t = self.now() if t is None else t
        common = {"meter_time": self.model.meter_iso(t), "status": self.status(t)}
        if self.kind != "heat":
            common.update(current_volume=self.value("volume.total", t),
                          settlement_volume=self.settlement_value(1, t))
            return common
        v = self.value
        common.update(settlement_heat=self.settlement_value(1, t),
                      current_heat=v("heat.energy.total", t), power=v("heat.power", t),
                      flow=v("flow.rate", t), volume=v("volume.total", t),
                      supply_temp=v("temperature.supply", t),
                      return_temp=v("temperature.return", t),
                      working_hours=v("time.operating", t))
        return common

    # --------------------------------------------------------- commands ---
    def _valve(self, p, ser, order):
        code = p.get("valve_code")
        if code not in ("55", "99"):
            return self._abnormal(0x04, ser)
        self.model.valve_command(code == "55")
        return self._out(codec.valve_reply(self.meter_type, self.address, self.status(), ser,
                                           order))

    def _meter_base(self, p, ser, order):
        rec = [r for r in p.get("values", ()) if r.get("name") == "base_volume"]
        if not rec or rec[0]["value"] is None:
            return self._abnormal(0x16, ser)
        reg = self.model.registers["volume"]
        try:
            diff = units(rec[0]["value"], reg.decimals) - reg.total(self.now())
        except ValueError:
            return self._abnormal(0x16, ser)
        reg.add_jump(self.now(), diff, 1)
        return self._out(codec.reply(self.meter_type, self.address, 0xA016,
                                     {"status": self.status()}, ser, order))
