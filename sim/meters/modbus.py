"""A simulated Modbus RTU energy meter (MODBUS Application Protocol V1.1b3 clause 6, 7).

The register map is a profile of ``protocols.modbus_profiles``
(``register_map``: "eastron-sdm120" by default; the short forms "sdm120",
"sdm630", "ddsu666", "dtsu666", "em24", "generic" work too; ``overrides``
as ``modbus_profiles.profile`` takes them).  On every request the meter lays
the electricity model's values at that instant out with ``register_image``:

* 03 reads the holding table, 04 the input table; every register asked for
  must exist (a row of the map, a hole of at most ``gap_fill`` registers
  between two rows, which reads 0 as on Eastron meters, or the writable
  holding area), else exception 02 (illegal data address).  ``gap_fill``
  defaults to 16, the ``max_gap`` of ``modbus_profiles.plan_reads``.
* 06 / 10 write the holding area ``holding_area=(start, count)`` (default
  0100H, 16 registers, initially zero): reply echo / 10H reply; a register
  outside it: exception 02.
* Other functions (01, 02, 05, 0F, 17): exception 01 (illegal function).
* Another slave id: None; broadcast (id 0) writes are applied, never
  answered.

Values: integer rows show the model's value truncated to the row's
resolution; float rows carry the nearest float32.  ``meter.value(q)`` gives
what the registers decode to (``modbus_profiles.row_value``), so a test can
compare exactly; ``meter.model.value(q)`` is the exact model value.
Profiles with phase B rows make the model three-phase unless ``phases``
is given.  ``address`` is the slave id (1..247) as decimal text.
"""

from protocols.core.checksum import crc16_modbus
from protocols.modbus import build as modbus_build
from protocols.modbus import frame as modbus_frame
from protocols.modbus import profiles
from protocols.core.errors import CodecError
from protocols.core.num import Num
from protocols.modbus.values import data_type
from sim.meters.base import SimMeter, truncate

SHORT_NAMES = {"sdm120": "eastron-sdm120", "sdm630": "eastron-sdm630",
               "ddsu666": "chint-ddsu666", "dtsu666": "chint-dtsu666",
               "em24": "carlo-gavazzi-em24"}
_TABLE_OF_FC = {0x03: "holding", 0x04: "input"}


class ModbusMeter(SimMeter):
    protocol = "modbus"
    KINDS = ("electricity",)
    REPLY_DELAY = 0.02

    def __init__(self, address, clock, kind=None, profile=None, **options):
        name = options.get("register_map", "eastron-sdm120")
        self.register_map = SHORT_NAMES.get(name, name)
        rows = profiles.profile(self.register_map, options.get("overrides", ()))
        if "phases" not in options and any(r[0] == "voltage.b" for r in rows):
            options["phases"] = 3
        self.rows = rows
        super().__init__(address, clock, kind, profile, **options)

    def _normal_address(self, address):
        a = int(address)
        if not 1 <= a <= 247:
            raise ValueError("a Modbus slave id is 1..247, got %r" % (address,))
        self.slave = a
        return str(a)

    def _configure(self, options):
        options.pop("register_map", None)
        options.pop("overrides", None)
        self.gap_fill = int(options.pop("gap_fill", 16))
        start, count = options.pop("holding_area", (0x0100, 16))
        self.area = dict(((start + k), 0) for k in range(count))
        for r in self.rows:
            if r[1] == "holding":
                for k in range(data_type(r[3])[1]):
                    if r[2] + k in self.area:
                        raise ValueError("holding area overlaps the register map at %04XH"
                                         % (r[2] + k))
        self.holes = self._holes()

    def _holes(self):
        """Registers between rows (at most ``gap_fill`` apart) that read as 0."""
        out = set()
        for table in ("holding", "input"):
            spans = sorted((r[2], r[2] + data_type(r[3])[1]) for r in self.rows if r[1] == table)
            for (a, b), (c, _) in zip(spans, spans[1:]):
                if 0 < c - b <= self.gap_fill:
                    out.update((table, x) for x in range(b, c))
        return out

    # ------------------------------------------------------------ values ---
    def _resolution(self, row):
        unit, shift = profiles.unit_shift(row)
        if data_type(row[3])[3] is not None:        # IEEE float: no fixed decimals
            return None
        return -((row[5] or 0) + shift)

    def _row_source(self, row, t):
        q = row[0]
        if q is None:
            return Num(0)
        try:
            v = self.model.value(q, t)
        except KeyError:
            return Num(0)
        if not isinstance(v, Num):
            return Num(0)
        dec = self._resolution(row)
        if dec is not None:
            v = truncate(v, dec)
        if v.m < 0 and not data_type(row[3])[2] and data_type(row[3])[3] is None:
            v = Num(0)                                   # unsigned register
        return v

    def image(self, t=None):
        """{(table, register): value} of the whole map at true time ``t``."""
        t = self.now() if t is None else t
        values = dict((r[0] if r[0] is not None else r[7], self._row_source(r, t))
                      for r in self.rows)
        image = dict.fromkeys(self.holes, 0)
        image.update(profiles.register_image(self.rows, values))
        for reg, v in self.area.items():
            image[("holding", reg)] = v
        return image

    def value(self, quantity, t=None):
        for r in self.rows:
            if r[0] == quantity:
                v = self._row_source(r, self.now() if t is None else t)
                return profiles.row_value(r, profiles.row_registers(r, v))
        return self.model.value(quantity, t)

    # ---------------------------------------------------------- handling ---
    def archive_options(self):
        return {"profile": self.register_map}     # the register map the meter has

    def bad_checksum(self, data):
        """The CRC's high byte changed."""
        return data[:-1] + bytes((data[-1] ^ 0xFF,))

    def readdress(self, data, address=None):
        """The reply from slave ``address`` (default: this one's + 1), CRC right."""
        a = int(self.address) % 247 + 1 if address is None else int(address)
        body = bytes((a,)) + data[1:-2]
        crc = crc16_modbus(body)
        return body + bytes((crc & 0xFF, crc >> 8))

    def addressed(self, frame):
        try:
            f = modbus_frame.decode(frame, "request")
        except CodecError:
            return False
        return f.address == self.slave or (f.address == 0 and f.function in (0x05, 0x06,
                                                                             0x0F, 0x10))

    def _handle(self, raw):
        f = modbus_frame.decode(raw, "request")
        broadcast = f.address == 0
        if broadcast:
            self.counters["broadcasts"] += 1
        fc, fields = f.function, f.fields
        if fc in _TABLE_OF_FC:
            image = self.image()
            table = _TABLE_OF_FC[fc]
            regs = [image.get((table, fields["start"] + k)) for k in range(fields["count"])]
            if any(r is None for r in regs):
                return self._exception(fc, 0x02)
            return modbus_build.registers_reply(self.slave, fc, regs)
        if fc == 0x06:
            if fields["start"] not in self.area:
                return None if broadcast else self._exception(fc, 0x02)
            self.area[fields["start"]] = fields["value"]
            return None if broadcast else bytes(raw)
        if fc == 0x10:
            addrs = [fields["start"] + k for k in range(fields["count"])]
            if any(a not in self.area for a in addrs):
                return None if broadcast else self._exception(fc, 0x02)
            for a, v in zip(addrs, fields["values"]):
                self.area[a] = v
            return None if broadcast else modbus_build.write_reply(self.slave, fc, fields["start"],
                                                            fields["count"])
        return None if broadcast else self._exception(fc, 0x01)

    def _exception(self, fc, code):
        self.counters["errors"] += 1
        return modbus_build.exception_reply(self.slave, fc, code)
