"""Reading DL/T645-2007 and -1997 meters over a Port.

Builds requests with the codecs, runs them through the port's transactions
and turns replies into value records.  Multi-frame replies (D5 set, C = B1H)
are followed with 12H (2007) / 02H (1997) until the last frame.  An error
reply raises MeterRefusedError naming the error bits; a reply from another
address is not taken for this meter's.
"""

from drivers.errors import MeterRefusedError, NotSupportedError
from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645 import edition1997 as dlt645_1997
from protocols.dlt645 import items as items2007
from protocols.core.errors import CodecError
from protocols.dlt645.frame import BROADCAST, WILDCARD, Deframer, decode_frame, error_bits

WAKE_UP = b"\xFE\xFE\xFE\xFE"

# what a read with no quantity list returns (probe's default, plans' default)
DEFAULT_QUANTITIES = {
    "2007": ("energy.active.import.total", "energy.active.import.t1", "energy.active.import.t2",
             "energy.active.import.t3", "energy.active.import.t4", "energy.active.export.total",
             "voltage.a", "current.a", "power.active.total", "power_factor.total"),
    "1997": ("energy.active.import.total", "energy.active.export.total", "voltage.a",
             "current.a"),
}


class Dlt645Reader:
    """One DL/T645 meter (2007 by default, ``edition="1997"`` for the old one)."""

    def __init__(self, port, address, edition="2007", password="000000",
                 operator="00000000", level=2, max_followups=16):
        self.port = port
        self.address = address
        self.edition = edition
        self.codec = dlt645 if edition == "2007" else dlt645_1997
        self.protocol = self.codec.NAME
        self.password = password
        self.operator = operator
        self.level = level
        self.max_followups = max_followups

    # ------------------------------------------------------------ plumbing
    def _wake(self):
        pre = self.port.settings.preamble
        return WAKE_UP if pre is None else pre

    def _accept(self, function, to):
        def accept(frame):
            try:
                f = decode_frame(frame)
            except CodecError as err:
                return "undecodable reply: %s" % err
            if not f.from_meter:
                return "a request on the line (echo or another master)"
            if f.address != to and to not in (WILDCARD,) and f.address != WILDCARD:
                return "reply from address %s" % f.address
            if f.function != function:
                return "reply to function %02XH, not %02XH" % (f.function, function)
            return None
        return accept

    def _exchange(self, frame, to=None):
        to = to or self.address
        ex = self.port.transact(frame.encode(self._wake()), Deframer(),
                                self._accept(frame.control, to), meter=self.address)
        reply = decode_frame(ex.frame)
        if reply.is_error:
            word = reply.data[0] if reply.data else 0
            names = error_bits(word, self.codec.ERROR_BITS)
            self.port.counters.add(self.address, "meter_errors")
            raise MeterRefusedError("meter %s refused: error word %02XH (%s)" %
                                    (self.address, word, ", ".join(names) or "no bit set"),
                                    reasons=names, port=self.port.name, meter=self.address,
                                    frame=ex.frame.hex(" ").upper())
        return reply

    # --------------------------------------------------------------- reads
    def read_di(self, di):
        """Every value record of one DI, following multi-frame replies."""
        codec = self.codec
        reply = self._exchange(codec.read(self.address, di))
        data = reply.data[4 if self.edition == "2007" else 2:]
        seq = 0
        while reply.more and seq < self.max_followups:
            seq += 1
            if self.edition == "2007":
                reply = self._exchange(dlt645.read_follow_up(self.address, di, seq))
                data += reply.data[4:-1]
            else:
                reply = self._exchange(dlt645_1997.read_follow_up(self.address, di))
                data += reply.data[2:]
        if self.edition == "2007":
            return items2007.decode_items(di, data, 14)
        return dlt645_1997.decode_items(di, data, 12)

    def di_for(self, quantity, period=None):
        di = self.codec.di_for(quantity, period)
        if di is None:
            raise NotSupportedError("DL/T645-%s has no data identifier for %s%s" %
                                    (self.edition, quantity, " (%s)" % period if period else ""),
                                    port=self.port.name, meter=self.address)
        return di

    def read(self, quantities=None, period=None):
        """Records for the named quantities (one read per DI, blocks shared);
        DEFAULT_QUANTITIES when None."""
        quantities = quantities or DEFAULT_QUANTITIES[self.edition]
        dis = [(q, self.codec.di_for(q, period)) for q in quantities]
        if all(di is None for _, di in dis):
            self.di_for(quantities[0], period)      # raises NotSupportedError, naming it
        out = []
        done = {}
        for q, di in dis:
            if di is None:
                continue                            # this edition has no such quantity
            if di not in done:
                done[di] = self.read_di(di)
            recs = [r for r in done[di] if r["quantity"] == q]
            out.extend(recs)
        return out

    def read_address(self):
        """The address of the only meter on a point-to-point line."""
        if self.edition != "2007":
            recs = dlt645_1997.decode_items(0xC032, self._exchange(
                dlt645_1997.read(WILDCARD, 0xC032), to=WILDCARD).data[2:])
            return recs[0]["value"]
        reply = self._exchange(dlt645.read_address(), to=WILDCARD)
        return reply.address

    def read_clock(self):
        """The meter's clock as an ISO string (date and time read separately)."""
        date = self.read(["meter.date"])[0]["value"]
        tod = self.read(["meter.time"])[0]["value"]
        return "%sT%s" % (date, tod)

    # -------------------------------------------------------------- writes
    def write(self, di, value):
        fmt = (items2007 if self.edition == "2007" else dlt645_1997)
        data = fmt.encode_items(di, value)
        if self.edition == "2007":
            frame = dlt645.write(self.address, di, data, self.password, self.operator, self.level)
        else:
            frame = dlt645_1997.write(self.address, di, data, "%02X%s" % (self.level, self.password))
        self._exchange(frame)

    def set_clock(self, parts):
        """Write date and time (Y, M, D, h, m, s) with the password (14H)."""
        y, mo, d, h, mi, s = parts
        date_di, time_di = (0x04000101, 0x04000102) if self.edition == "2007" else (0xC010, 0xC011)
        self.write(date_di, "%04d-%02d-%02d" % (y, mo, d))
        self.write(time_di, "%02d:%02d:%02d" % (h, mi, s))

    def relay(self, command):
        """Relay control (1CH, 2007 only): trip / close / close_permitted / alarm..."""
        if self.edition != "2007":
            raise NotSupportedError("relay control needs DL/T645-2007", port=self.port.name,
                                    meter=self.address)
        self._exchange(dlt645.relay_control(self.address, command, self.password,
                                            self.operator, self.level))

    def relay_state(self):
        word = self.read_di(0x04000503)[0]["value"]
        return dlt645.relay_state(word)

    def freeze(self, minute=None, hour=None, day=None, month=None):
        """16H addressed to this meter (reply 96H)."""
        self._exchange(dlt645.freeze(self.address, minute, hour, day, month))

    def change_baud(self, baud):
        """17H: the meter answers at the old rate, then both switch."""
        codec = dlt645 if self.edition == "2007" else dlt645_1997
        self._exchange(codec.change_baud(self.address, baud))
        self.port.set_baud(baud)


def broadcast_time(port, parts, edition="2007"):
    """08H to 999999999999: meters within +/-5 min apply it, once a day."""
    codec = dlt645 if edition == "2007" else dlt645_1997
    pre = port.settings.preamble
    port.broadcast(codec.broadcast_time(parts).encode(WAKE_UP if pre is None else pre))


def broadcast_freeze(port, minute=None, hour=None, day=None, month=None):
    """16H to 999999999999 (no reply)."""
    pre = port.settings.preamble
    port.broadcast(dlt645.freeze(BROADCAST, minute, hour, day, month)
                   .encode(WAKE_UP if pre is None else pre))
