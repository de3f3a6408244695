"""DL/T645-2007 and -1997 electricity meters over a port (registry session "dlt645").

Reads: ``read(quantities)`` asks each data identifier (DI) once (11H / 01H),
following multi-frame replies (D5 set, C = B1H) with 12H (2007) / 02H
(1997) until the last frame; with no list it reads the row's
``default_items``.  ``read_frozen`` reads the meter's own freeze records:
2007 hourly record N (0504FFNN, the last 254 hours) and daily record N
(0506 00/01/02 NN, the last 62 days), whose freeze time must be the
boundary (a meter that missed freezes, or whose clock is hours off, numbers
them differently: the record is found by its freeze time); monthly =
settlement data N (2007: energy DI0 = N, the last 12; 1997: 94xx / 98xx,
the last two).  Writes (14H / 04H: clock, relay
1CH, meter parameters: ``read_param``/``write_param``) carry the archive's
``password``, ``operator`` and password ``level``.

A reply is decoded once, in the acceptance check; an error reply raises
MeterRefusedError naming the error bits; a reply from another address is not
taken for this meter's.  A DI the meter refuses is left out of a read when
another DI of the same read answered (not every meter keeps every counter);
the tamper flags of the run status words come with them, an event record
the meter has not got is left out (``items.with_flags``).  ``scan`` searches with 13H (2007) / C032 (1997) to
wildcard addresses; ``broadcast_time`` (08H) and ``broadcast_freeze`` (16H)
go to 999999999999.
"""

import calendar
import time

from drivers.errors import MeterRefusedError, NoRecordError, NotFrozenYetError, NotSupportedError
from drivers.meters.records import exact, tree, wildcard_pattern
from protocols.core.errors import CodecError
from protocols.dlt645 import edition1997, edition2007, items as items2007
from protocols.dlt645 import params as dlt645_params
from protocols.dlt645.frame import BROADCAST, WILDCARD, Deframer, Frame, decode_frame, error_bits

WAKE_UP = b"\xFE\xFE\xFE\xFE"
SEARCH_READS = 4          # records read at most to find a boundary's freeze record
CODECS = {"2007": edition2007, "1997": edition1997}


def _local_seconds(iso):
    """A local ``YYYY-MM-DDThh:mm`` (seconds ignored) as seconds on a naive scale."""
    return calendar.timegm(time.strptime(iso[:16], "%Y-%m-%dT%H:%M"))


def _edition(row):
    return row.name.rsplit("-", 1)[1]


def _wake(port):
    pre = port.settings.preamble
    return WAKE_UP if pre is None else pre


class Dlt645Session:
    """One DL/T645 meter (``row`` is the registry row of its edition)."""

    def __init__(self, port, row, address, password=None, operator="00000000", level=2,
                 max_followups=16):
        self.port = port
        self.row = row
        self.address = address
        self.edition = _edition(row)
        self.codec = CODECS[self.edition]
        self.protocol = row.name
        self.password = password          # None: the archive gave none (000000 is sent)
        self.operator = operator
        self.level = int(level)
        self.max_followups = max_followups

    # ------------------------------------------------------------ plumbing
    def _exchange(self, frame, to=None):
        """Send ``frame``; the decoded reply (decoded once, in ``accept``)."""
        to = to or self.address
        taken = []

        def accept(raw):
            try:
                f = decode_frame(raw)
            except CodecError as err:
                return "undecodable reply: %s" % err
            if not f.from_meter:
                return "a request on the line (echo or another master)"
            if f.address != to and to != WILDCARD and f.address != WILDCARD:
                return "reply from address %s" % f.address
            if f.function != frame.control:
                return "reply to function %02XH, not %02XH" % (f.function, frame.control)
            taken.append(f)
            return None
        ex = self.port.transact(frame.encode(_wake(self.port)), Deframer(), accept,
                                meter=self.address)
        reply = taken[-1]
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
        """Every value record of one DI (Decimal values), following multi-frame replies."""
        reply = self._exchange(self.codec.read(self.address, di))
        new = self.edition == "2007"
        data = reply.data[4 if new else 2:]
        seq = 0
        while reply.more and seq < self.max_followups:
            seq += 1
            if new:
                reply = self._exchange(edition2007.read_follow_up(self.address, di, seq))
                data += reply.data[4:-1]
            else:
                reply = self._exchange(edition1997.read_follow_up(self.address, di))
                data += reply.data[2:]
        if new:
            return exact(items2007.with_flags(items2007.decode_items(di, data, 14)))
        return exact(edition1997.decode_items(di, data, 12))

    def di_for(self, quantity, period=None):
        di = self.codec.di_for(quantity, period)
        if di is None:
            raise NotSupportedError("DL/T645-%s has no data identifier for %s%s" %
                                    (self.edition, quantity, " (%s)" % period if period else ""),
                                    port=self.port.name, meter=self.address)
        return di

    def read(self, quantities=None, period=None):
        """Records for the named quantities (one read per DI, blocks shared);
        the row's ``default_items`` when None."""
        quantities = quantities or self.row.default_items
        dis = [(q, self.codec.di_for(q, period)) for q in quantities]
        if all(di is None for _, di in dis):
            self.di_for(quantities[0], period)      # raises NotSupportedError, naming it
        out = []
        done = {}
        refused = None
        for q, di in dis:
            if di is None:
                continue                            # this edition has no such quantity
            if di not in done:
                try:
                    done[di] = self.read_di(di)
                except MeterRefusedError as err:   # this meter has no such item
                    done[di], refused = [], refused or err
            out.extend(r for r in done[di] if r["quantity"] == q)
        if refused is not None and not any(done.values()):
            raise refused                           # it has none of them
        return out

    def read_frozen(self, kind, n, boundary_iso, quantities):
        """The meter's own record of the ``n``-th most recent ``kind`` boundary.

        2007 hourly/daily records are found by their own freeze time, whatever
        the meter's clock: record ``n`` is read first; when its time is not the
        boundary (a meter whose clock is hours off, or that missed freezes),
        the record the time difference points to is read next, at most
        SEARCH_READS reads.  The records handed out name the record read
        (``period`` "hourly:K"), so the caller sees when it was not ``n``."""
        if kind == "monthly" or self.edition != "2007":
            return self.read(quantities, period="settlement:%d" % n)
        most = self.row.depth(kind)
        step = 3600 if kind == "hourly" else 86400
        want = _local_seconds(boundary_iso) // step
        stamps = {}                 # record number -> its freeze time in steps (None: absent)
        k = n
        while 1 <= k <= most and k not in stamps and len(stamps) < SEARCH_READS:
            try:
                # an hourly record's block (0504FF0K) starts with its freeze time: one read
                first = self.read_di((0x0504FF00 if kind == "hourly" else 0x05060000) | k)
                stamp = first[0]["value"]
            except MeterRefusedError:
                stamp = None              # no such record (yet)
            stamps[k] = None if stamp is None else _local_seconds(stamp) // step
            if stamps[k] is None:
                k -= 1                    # fewer records than that: look nearer the newest
                continue
            if stamps[k] == want:
                period = "%s:%d" % (kind, k)
                recs = first if kind == "hourly" else self._daily_blocks(k, quantities)
                return [r for r in recs
                        if r["quantity"] in quantities and r.get("period") == period]
            # records are newest first: a later freeze time means the one wanted is older
            k = max(1, k + stamps[k] - want)
        if stamps.get(1) is not None and stamps[1] < want:
            raise NotFrozenYetError("the meter's newest %s record is older than %s" %
                                    (kind, boundary_iso), meter=self.address)
        raise NoRecordError("no %s freeze record for %s in the meter" % (kind, boundary_iso),
                            meter=self.address)

    def read_instant(self, quantities):
        """The newest instant-freeze record (瞬时冻结, 0501xx01, made by 16H with
        every field 99H): its ``freeze.time`` and those of ``quantities`` it holds."""
        if self.edition != "2007":
            raise NotSupportedError("DL/T645-1997 keeps no instant freeze record",
                                    port=self.port.name, meter=self.address)
        held = [q for q in quantities if self.codec.di_for(q, "instant:1") is not None]
        return self.read(["freeze.time"] + held, period="instant:1")

    def _daily_blocks(self, k, quantities):
        recs = []
        for d1, prefix in ((0x01, "energy.active.import."), (0x02, "energy.active.export.")):
            if any(q.startswith(prefix) for q in quantities):
                recs += self.read_di(0x05060000 | (d1 << 8) | k)
        return recs

    def read_clock(self):
        """The meter's clock as an ISO string (date and time read separately)."""
        date = self.read(["meter.date"])[0]["value"]
        tod = self.read(["meter.time"])[0]["value"]
        return "%sT%s" % (date, tod)

    # -------------------------------------------------------------- writes
    def write(self, di, value):
        """14H (2007) / 04H (1997) with the password at the archive's level."""
        password = self.password or "000000"
        if self.edition == "2007":
            data = items2007.encode_items(di, value)
            frame = edition2007.write(self.address, di, data, password, self.operator,
                                      self.level)
        else:
            data = edition1997.encode_items(di, value)
            frame = edition1997.write(self.address, di, data, "%02X%s" % (self.level, password))
        self._exchange(frame)

    def read_param(self, name):
        """A meter parameter (``protocols.dlt645.params``), as the meter shows it."""
        recs = self.read_di(self._param_di(name))
        value = recs[0]["value"] if recs else None
        return str(value) if value is not None and not isinstance(value, str) else value

    def write_param(self, name, value):
        """Write a meter parameter (14H, the password at the archive's level);
        ``value`` as ``protocols.dlt645.params.check`` gives it."""
        self.write(self._param_di(name), value)

    def _param_di(self, name):
        if self.edition != "2007":
            raise NotSupportedError("parameter writes need DL/T645-2007", port=self.port.name,
                                    meter=self.address)
        return dlt645_params.di_of(name)

    def clock_writable(self):
        """None when ``set_clock`` may be used, else why not."""
        return None if self.password is not None else "needs an authorised write"

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
        self._exchange(edition2007.relay_control(self.address, command, self.password or "000000",
                                                 self.operator, self.level))

    def relay_state(self):
        word = self.read_di(0x04000503)[0]["value"]
        return edition2007.relay_state(word)

    def control(self, part, verb):
        """``relay`` ``open``/``close`` (1CH: an open relay is a tripped one, power
        off); returns the relay state read back from status word 3."""
        self.relay(RELAY_COMMANDS[verb])
        return self.relay_state()


# the control op's verbs as 1CH commands
RELAY_COMMANDS = {"open": "trip", "close": "close"}

SESSION = Dlt645Session


def open_session(port, row, address, kind=None, **options):
    return Dlt645Session(port, row, address, **options)


def scan(port, row, progress=None, **options):
    """The DL/T645 meters on the bus (ScanResult.found: 12-digit addresses)."""
    new = _edition(row) == "2007"

    def ask(fixed):
        pattern = wildcard_pattern(fixed, 6)
        s = Dlt645Session(port, row, pattern)
        if not new:
            return s._exchange(edition1997.read(pattern, 0xC032), to=WILDCARD).address
        if len(fixed) == 6:
            # 13H goes to wildcards only: a full address is asked for its 04000401
            return s._exchange(edition2007.read(pattern, 0x04000401)).address
        return s._exchange(Frame(pattern, 0x13, b""), to=WILDCARD).address
    result = tree(ask, 6, progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    result.duplicates = ["".join(reversed([d[i:i + 2] for i in range(0, len(d), 2)]))
                         for d in result.duplicates]
    for a in result.found:
        result.add_meter(a, row.name, row.kinds[0])
    return result


def broadcast_time(port, row, parts):
    """08H to 999999999999: meters within +/-5 min apply it, once a day."""
    port.broadcast(CODECS[_edition(row)].broadcast_time(parts).encode(_wake(port)))


def broadcast_freeze(port, row, minute=None, hour=None, day=None, month=None):
    """16H to 999999999999 (no reply)."""
    port.broadcast(edition2007.freeze(BROADCAST, minute, hour, day, month).encode(_wake(port)))
