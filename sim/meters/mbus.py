"""Simulated wired M-Bus heat, water and gas meters (EN 13757-2/-3, spec/protocols.md 5).

Link layer (EN 13757-2 clause 5, spec 5.3-5.5):

* SND_NKE -> E5, and resets the frame-count expectation and the telegram
  sequence.  SND_NKE to FDH deselects; the slave that was selected answers
  E5, the others stay silent.
* REQ_UD2 -> RSP_UD.  FCB: after SND_NKE any FCB starts a new telegram; a
  request with the same FCB as the previous one (FCV = 1) gets the previous
  reply again, byte for byte (the master's retry); a toggled FCB gets the
  next telegram (fresh values, access number + 1).  A master that always
  sends 5BH without SND_NKE in between therefore reads stale data, as the
  standard allows.  ``telegrams=2`` makes a multi-telegram meter: telegram
  1 ends with DIF 1FH (more records follow), telegram 2 holds the older
  storage numbers; after telegram 2 it starts over.
* REQ_UD1 -> E5 (no alarm data).
* Addresses: the primary address (0..250); 254 all reply; 255 act, never
  reply; 253 the slave selected by secondary address.
* SND_UD to FDH with CI 52H selects: identification number digits (F =
  any), manufacturer, version, medium (FFH / FFFFH = any) must match;
  a matching slave answers E5 and is selected, a non-matching one is
  deselected and silent.
* SND_UD CI 51H ``01 7A nn`` sets the primary address (E5); CI 50H
  application reset (E5, telegram sequence restarts); CI B8H..BFH set baud
  (E5 at the old rate, then ``baud`` changes); other SND_UD data -> E5.

Application layer (EN 13757-3, spec 5.7-5.8), CI 72H long header with the
secondary address, ``manufacturer``, ``version``, medium (04H heat, 07H
water, 03H gas), access number, status (bit 2 power low = dead battery):

    0C 78  fabrication number            0C 04  energy, 0.01 kWh (heat)
    0C 13  volume, litres                0B 2B  power, W (heat)
    0B 3B  flow, L/h                     0A 59 / 0A 5D  flow / return
    0A 61  temperature difference, 0.01 K  temperature, 0.01 degC (heat)
    0B 26  operating time, h (heat)      04 6D  date and time (type F)
    storage k = 1..``storages``: 42 6C due date (type G), energy, volume:
    the values frozen at the k-th most recent monthly due date (settlement
    day, default the 1st 00:00), = ``meter.frozen("monthly", ...)``;
    storages before the install time are left out (history depth 24
    months; ``storages`` defaults to 6; a count that cannot fit the
    telegrams, e.g. more than 10 for a one-telegram heat meter, is refused
    when the meter is built).

``address`` is the primary address as decimal text; ``secondary`` the
8-digit identification number (default derived from the address).
"""

import zlib

from protocols.mbus import codec
from protocols.core.errors import CodecError
from sim.meters.base import SimMeter, frame_start, resum
from sim.model_clock import local_iso

MEDIA = {"heat": 0x04, "water": 0x07, "gas": 0x03}
SND_NKE, SND_UD, REQ_UD2, REQ_UD1 = 0x40, 0x43, 0x4B, 0x4A
NETWORK, ALL_REPLY, ALL_SILENT = 0xFD, 0xFE, 0xFF


class MbusMeter(SimMeter):
    protocol = "mbus"
    KINDS = ("heat", "water", "gas")
    REPLY_DELAY = 0.02
    MODEL_DEFAULTS = {"volume_decimals": 3, "depths": {"monthly": 24}}
    RESOLUTION = (("heat.power", 3),)

    def _normal_address(self, address):
        a = int(address)
        if not 0 <= a <= 250:
            raise ValueError("an M-Bus primary address is 0..250, got %r" % (address,))
        self.primary = a
        return str(a)

    def _configure(self, options):
        sec = options.pop("secondary", None)
        if sec is None:
            sec = "%08d" % (zlib.crc32(("mbus" + self.address).encode()) % 10 ** 8)
        self.secondary = str(sec)
        if len(self.secondary) != 8 or not self.secondary.isdigit():
            raise ValueError("an M-Bus secondary address is 8 digits")
        self.manufacturer = options.pop("manufacturer", "SIM")
        codec.manufacturer_code(self.manufacturer)
        self.version = int(options.pop("version", 1))
        self.medium = int(options.pop("medium", MEDIA[self.kind]))
        self.fabrication = str(options.pop("fabrication", self.secondary))
        self.storages = int(options.pop("storages", 6))
        self.telegrams = int(options.pop("telegrams", 1))
        if self.telegrams not in (1, 2):
            raise ValueError("telegrams is 1 or 2")
        self.baud = int(options.pop("baud", 2400))
        self.selected = False
        self.access_no = int(options.pop("access_no", 0)) & 0xFF
        self.repeats = 0
        self._reset_link()
        self._check_size()

    def _check_size(self):
        """Refuse a configuration whose telegrams cannot fit one long frame
        (252 bytes after CI): records have fixed sizes, so zeros tell."""
        model = self.model
        current = self.current_records(model.t0)

        def stored(first, last):
            out = []
            for k in range(first, last + 1):
                out.append({"vif": 0x6C, "value": "2000-01-01", "coding": "int16", "storage": k})
                for vif in ((0x04, 0x13) if self.kind == "heat" else (0x13,)):
                    out.append({"vif": vif, "value": 0, "coding": "bcd8", "storage": k})
            return out
        if self.telegrams == 1:
            parts = [(current + stored(1, self.storages), False)]
        else:
            parts = [(current + stored(1, 1), True), (stored(2, self.storages), False)]
        for records, more in parts:
            try:
                codec.encode_rsp_ud(self.primary, records, self.header(), 0x72,
                                    more_records_follow=more)
            except CodecError:
                raise ValueError("%d storages do not fit %d M-Bus telegram(s) of a %s "
                                 "meter: use fewer storages%s" %
                                 (self.storages, self.telegrams, self.kind,
                                  " or telegrams=2" if self.telegrams == 1 else ""))

    def _reset_link(self):
        self._last_fcb = None
        self._last_reply = None
        self._next = 0

    # ---------------------------------------------------------- address ---
    def bad_checksum(self, data):
        """An E5 becomes E4H; a frame gets a wrong checksum."""
        return b"\xE4" if data == b"\xE5" else SimMeter.bad_checksum(self, data)

    def readdress(self, data, address=None):
        """The reply from primary address ``address`` (default: this one's + 1)."""
        a = (int(self.address) + 1) % 251 if address is None else int(address)
        i = frame_start(data)
        if data[i:i + 1] == b"\x10":
            return resum(data[:i + 2] + bytes((a,)) + data[i + 3:], i + 1, i + 3)
        if data[i:i + 1] == b"\x68":
            return resum(data[:i + 5] + bytes((a,)) + data[i + 6:], i + 4, len(data) - 2)
        return data

    def addressed(self, frame):
        try:
            f = codec.parse_frame(frame)
        except CodecError:
            return False
        if f.c is None or not f.c & 0x40:
            return False
        a = f.a
        if a == self.primary or a in (ALL_REPLY, ALL_SILENT):
            return True
        if a != NETWORK:
            return False
        fn = f.c & 0x4F
        return self.selected or fn == SND_NKE or (fn == SND_UD and f.ci == 0x52)

    def select_matches(self, sel):
        ident = sel["id"]
        for p, d in zip(ident, self.secondary):
            if p != "F" and p != d:
                return False
        return ((sel["manufacturer"] is None or sel["manufacturer"] == self.manufacturer) and
                (sel["version"] is None or sel["version"] == self.version) and
                (sel["medium"] is None or sel["medium"] == self.medium))

    # --------------------------------------------------------- handling ---
    def _handle(self, raw):
        f = codec.decode(raw)
        fn = f.c & 0x4F
        a = f.a
        silent = a == ALL_SILENT
        if a == ALL_SILENT:
            self.counters["broadcasts"] += 1
        ack = None if silent else codec.ack()
        if f.kind == "short":
            if fn == SND_NKE:
                if a == NETWORK:
                    was, self.selected = self.selected, False
                    return codec.ack() if was else None
                self._reset_link()
                return ack
            if fn == REQ_UD2:
                reply = self._rsp_ud(f.c)
                return None if silent else reply
            if fn == REQ_UD1:
                return ack
            return None
        if fn != SND_UD:
            return None
        app = f.app or {}
        if f.ci == 0x52:
            if a != NETWORK:
                return None
            self.selected = self.select_matches(app["selection"])
            return codec.ack() if self.selected else None
        if app.get("request") == "set_primary_address":
            self.address = self._normal_address(app["new_address"])
        elif app.get("request") == "application_reset":
            self._next = 0
        elif app.get("request") == "set_baud":
            self.baud = app["baud"]
        return ack

    def _rsp_ud(self, c):
        fcb, fcv = bool(c & 0x20), bool(c & 0x10)
        if fcv and self._last_reply is not None and fcb == self._last_fcb:
            self.repeats += 1
            return self._last_reply
        self._last_fcb = fcb if fcv else None
        reply = self.telegram(self._next)
        self._next = (self._next + 1) % self.telegrams
        self._last_reply = reply
        return reply

    # --------------------------------------------------------- telegram ---
    def header(self):
        return {"id": self.secondary, "manufacturer": self.manufacturer,
                "version": self.version, "medium": self.medium, "access_no": self.access_no,
                "status": 0x04 if self.model.battery_low() else 0x00, "signature": 0}

    def telegram(self, index=0, t=None):
        """RSP_UD telegram ``index`` (0-based) with the values at true time ``t``."""
        t = self.now() if t is None else t
        self.access_no = (self.access_no + 1) & 0xFF
        if self.telegrams == 1:
            records = self.current_records(t) + self.storage_records(1, self.storages, t)
            more = False
        elif index == 0:
            records = self.current_records(t) + self.storage_records(1, 1, t)
            more = True
        else:
            records = self.storage_records(2, self.storages, t)
            more = False
        return codec.encode_rsp_ud(self.primary, records, self.header(), 0x72,
                                   more_records_follow=more)

    def current_records(self, t):
        v = self.value
        out = [(0x78, self.fabrication, "bcd8")]
        heat = self.kind == "heat"
        if heat:
            out.append((0x04, v("heat.energy.total", t), "bcd8"))
        out.append((0x13, v("volume.total", t), "bcd8"))
        if heat:
            out.append((0x2B, v("heat.power", t), "bcd6"))
        out.append((0x3B, v("flow.rate", t), "bcd6"))
        if heat:
            out += [(0x59, v("temperature.supply", t), "bcd4"),
                    (0x5D, v("temperature.return", t), "bcd4"),
                    (0x61, v("temperature.difference", t), "bcd4"),
                    (0x26, v("time.operating", t), "bcd6")]
        out.append((0x6D, self.model.meter_iso(t, minutes=True), "int32"))
        return out

    def storage_records(self, first, last, t):
        model = self.model
        out = []
        for k in range(first, last + 1):
            b = model.boundary("monthly", k, t)
            frozen = model.frozen("monthly", b, t)
            if frozen is None:
                continue
            date = local_iso(b, model.tz)[:10]
            out.append({"vif": 0x6C, "value": date, "coding": "int16", "storage": k})
            if self.kind == "heat":
                out.append({"vif": 0x04, "value": frozen["heat.energy.total"],
                            "coding": "bcd8", "storage": k})
            out.append({"vif": 0x13, "value": frozen["volume.total"], "coding": "bcd8",
                        "storage": k})
        return out
