"""What the DL/T645-2007 and -1997 simulated meters share (spec/protocols.md 1 and 2).

* Addresses: 12 digits; a request address byte AAH matches any byte
  (wildcard / abbreviated addressing, spec 1.5): the meter answers a
  matching wildcard read with its real address in the reply.
  ``wildcard_reads=False`` makes it answer wildcards only where the
  standard requires (13H/15H, and 1997 reads of C032).
* Broadcast address 999999999999: acted on, never answered.
* Broadcast time sync 08H (spec 1.10): applied only when the meter's clock is
  within +-5 min of the broadcast time and at most once per local day (of
  the meter's clock); also accepted at the meter's own address, no reply.
* Replies carry the wake-up preamble ``preamble`` (default FE FE FE FE).
* Passwords: ``passwords`` maps a password level to its 6 hex digits
  (default levels 0, 2 and 4 with 000000); ``password`` sets them all.
* ``baud`` (default 2400) changes after a successful change-baud command;
  the reply itself goes out at the old rate (a line reads ``.baud`` after
  it has sent the reply).
"""

from protocols.dlt645 import formats as fmts
from protocols.core.errors import CodecError
from protocols.dlt645.frame import BROADCAST, WAKE_UP, decode_frame
from sim.meters.base import SimMeter, frame_start, resum
from sim.model_clock import local_datetime, parse_local_iso

SYNC_WINDOW = 300        # seconds: broadcast time accepted within +-5 min


def pattern_matches(pattern, address):
    """A request address (printed, AA = any pair) against a meter address."""
    if len(pattern) != 12:
        return False
    for k in range(0, 12, 2):
        p = pattern[k:k + 2]
        if p != "AA" and p != address[k:k + 2]:
            return False
    return True


class Dlt645Base(SimMeter):
    KINDS = ("electricity",)
    REPLY_DELAY = 0.05
    BROADCAST_FUNCTIONS = (0x08,)
    WILDCARD_FUNCTIONS = ()          # answered to a matching wildcard whatever wildcard_reads

    def _normal_address(self, address):
        s = str(address).strip()
        if not s.isdigit() or len(s) > 12:
            raise ValueError("a DL/T645 address is up to 12 decimal digits, got %r" % (address,))
        return "0" * (12 - len(s)) + s

    def _configure(self, options):
        self.preamble = bytes(options.pop("preamble", WAKE_UP))
        passwords = options.pop("passwords", None)
        password = options.pop("password", "000000")
        self.passwords = dict(passwords) if passwords else {0: password, 2: password,
                                                            4: password}
        self.passwords = dict((int(k), str(v).upper()) for k, v in self.passwords.items())
        self.baud = int(options.pop("baud", 2400))
        self.bauds = tuple(options.pop("bauds", (1200, 2400, 4800, 9600)))
        self.wildcard_reads = bool(options.pop("wildcard_reads", True))
        self.meter_number = str(options.pop("meter_number", self.address))
        self._sync_day = None
        self.syncs = {"applied": 0, "refused": 0}

    def readdress(self, data, address=None):
        """The reply with another meter's address (default: this one's + 1)."""
        if address is None:
            address = "%012d" % ((int(self.address) + 1) % 10 ** 12)
        raw = bytes(reversed(bytes.fromhex(str(address).zfill(12))))
        i = frame_start(data)
        at = i + 1
        return resum(data[:at] + raw + data[at + len(raw):], i, len(data) - 2)

    # ---- addressing
    def _read_functions(self):
        return ()

    def addressed(self, frame):
        try:
            f = decode_frame(frame)
        except CodecError:
            return False
        if f.control & 0x80:
            return False
        return self._for_me(f)

    def _for_me(self, f):
        if f.address == BROADCAST:
            return f.control & 0x1F in self.BROADCAST_FUNCTIONS
        if f.address == self.address:
            return True
        if "AA" not in f.address or not pattern_matches(f.address, self.address):
            return False
        fn = f.control & 0x1F
        return fn in self.WILDCARD_FUNCTIONS or (self.wildcard_reads and
                                                 fn in self._read_functions())

    def _reply(self, frame):
        return frame.encode(self.preamble)

    def _password_ok(self, level, raw3):
        return self.passwords.get(level) == bytes(reversed(raw3)).hex().upper()

    # ---- broadcast time
    def _time_sync(self, data):
        """08H: apply the broadcast time per spec 1.10 (no reply either way)."""
        try:
            iso = fmts.decode("YYMMDDhhmmss", data)
        except CodecError:
            self.syncs["refused"] += 1
            return False
        if iso is None or len(data) != 6:
            self.syncs["refused"] += 1
            return False
        model = self.model
        now = self.now()
        new = parse_local_iso(iso, model.tz)
        day = local_datetime(new, model.tz).date()
        if abs(new - model.meter_time(now)) > SYNC_WINDOW or day == self._sync_day:
            self.syncs["refused"] += 1
            return False
        self._sync_day = day
        model.set_meter_time(new, now)
        self.syncs["applied"] += 1
        return True

    def _set_date_or_time(self, date=None, time=None):
        """A clock write: the new date keeps the meter's time of day and vice versa."""
        model = self.model
        iso = model.meter_iso()
        text = (date or iso[:10]) + "T" + (time or iso[11:])
        model.set_meter_time(parse_local_iso(text, model.tz))

    # ---- meter-specific static values
    def _status_word(self, n):
        model = self.model
        word = 0
        if n == 1 and model.battery_low():
            word |= 0x000C               # bit 2 clock battery, bit 3 meter-reading battery
        if n == 1 and model.tamper_on("reverse_power"):
            word |= 1 << 4               # active power reverse
        if n == 7:
            if model.tamper_on("cover"):
                word |= 1 << 9           # meter cover open
            if model.tamper_on("terminal_cover"):
                word |= 1 << 10          # terminal cover open
        if n == 3:
            if not model.gate.state(self.now()):
                word |= 1 << 4           # relay open
            if getattr(self, "relay_command_open", False):
                word |= 1 << 6
            if getattr(self, "alarm", False):
                word |= 1 << 7
        return "%04X" % word
