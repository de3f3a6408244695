"""CJ/T188-2004 water, gas and heat meters over a port (registry session "cjt188").

Reads: ``read(quantities)`` asks 901F (current value, the value at the last
settlement day, meter time, status ST); ``read_frozen`` of month N >= 2
asks D120 + N - 1 (the value frozen at the N-th most recent settlement day;
the meter keeps 12), month 1 comes with 901F.  ``set_clock`` writes A015,
``valve`` A017, ``write_param`` A011/A012 (settlement and reading day).
The archive option ``di_order`` ("le"/"be") is the byte order of the data
identifier some meters use.

Every request carries a sequence byte SER that the meter echoes; a reply
with another SER is a stale one (a late answer to an earlier request) and is
not taken.  A reply is decoded once, in the acceptance check.  Battery
meters are slow to wake: give their port a long ``preamble`` and
``reply_timeout`` (protocols.md 3.1).  ``scan`` searches with 810A to
wildcard addresses.
"""

import itertools

from drivers.errors import MeterRefusedError, NotSupportedError
from drivers.meters.records import exact, tree, wildcard_pattern
from protocols.cjt188 import codec as cjt188
from protocols.cjt188 import params as cjt188_params
from protocols.cjt188.tables import kind_of_type
from protocols.core.errors import CodecError

KIND_TYPES = (("water", 0x10), ("heat", 0x20), ("gas", 0x30))
_TYPE_OF_KIND = dict(KIND_TYPES)


def meter_type_for(kind):
    """The CJ/T188 type byte T of a meter kind (water 10H, heat 20H, gas 30H)."""
    try:
        return _TYPE_OF_KIND[kind]
    except KeyError:
        raise NotSupportedError("CJ/T188 meters are water, heat or gas, not %r" % kind)


class Cjt188Session:
    """One CJ/T188 meter."""

    def __init__(self, port, row, address, kind="water", meter_type=None, di_order=None):
        self.port = port
        self.row = row
        self.protocol = row.name
        self.address = address
        self.meter_type = meter_type if meter_type is not None else meter_type_for(kind)
        self.di_order = di_order
        self._ser = itertools.count()

    def _wake(self):
        pre = self.port.settings.preamble
        return cjt188.WAKE_UP if pre is None else pre

    def _exchange(self, build, to=None, **kw):
        """Send ``build(ser=, wake_up=)``; the reply as a dict, decoded once."""
        ser = next(self._ser) & 0xFF
        to = to or self.address
        taken = []

        def accept(frame):
            try:
                f = cjt188.decode(frame)
            except CodecError as err:
                return "undecodable reply: %s" % err
            if not f.control & 0x80:
                return "a request on the line (echo or another master)"
            if to != cjt188.WILDCARD and f.address != to:
                return "reply from address %s" % f.address
            data = f.data
            got = data[0] if f.control & 0x40 and len(data) == 3 else (
                data[2] if len(data) > 2 else None)
            if got is not None and got != ser:
                return "stale reply (SER %02XH, expected %02XH)" % (got, ser)
            try:
                taken.append(dict(cjt188.parse(f), address=f.address, type_byte=f.meter_type,
                                  is_error=bool(f.control & 0x40)))
            except CodecError as err:
                taken.append(err)       # ours, but its data field is bad: raised below
            return None
        request = build(ser=ser, wake_up=self._wake(), **kw)
        ex = self.port.transact(request, cjt188.Deframer(), accept, meter=self.address)
        reply = taken[-1]
        if isinstance(reply, CodecError):
            raise reply
        if reply["is_error"]:
            self.port.counters.add(self.address, "meter_errors")
            raise MeterRefusedError("meter %s refused (status %s)" %
                                    (self.address, reply.get("status")),
                                    reasons=[reply.get("valve_state")], port=self.port.name,
                                    meter=self.address, frame=ex.frame.hex(" ").upper())
        return reply

    def read_current(self):
        """901F: current and settlement-day values, meter time, status (the reply dict)."""
        return self._exchange(lambda **kw: cjt188.read_data(self.meter_type, self.address,
                                                            di_order=self.di_order, **kw))

    def read(self, quantities=None, period=None):
        """Value records (all of 901F, or those named); period "settlement:N"
        reads history month N (D120 + N - 1) for N >= 2; N = 1 comes with 901F."""
        if period and period.startswith("settlement:") and int(period.split(":")[1]) > 1:
            month = int(period.split(":")[1])
            reply = self.read_history(month)
            recs = [dict(r, period=period) for r in reply.get("values", [])
                    if r.get("quantity") and r.get("period") == "settlement:%d" % month]
            return exact(r for r in recs if not quantities or r["quantity"] in quantities)
        recs = self.read_current().get("values", [])
        if period:
            recs = [r for r in recs if r.get("period") == period]
        else:
            recs = [r for r in recs if not r.get("period")]
        if quantities:
            recs = [r for r in recs if r["quantity"] in quantities]
        return exact(recs)

    def read_frozen(self, kind, n, boundary_iso, quantities):
        """The value frozen at the ``n``-th most recent settlement day."""
        return self.read(quantities, period="settlement:%d" % n)

    def read_history(self, month):
        """D120 + month - 1: the settlement-day value ``month`` months ago (the reply dict)."""
        return self._exchange(lambda **kw: cjt188.read_history(self.meter_type, self.address,
                                                               month, di_order=self.di_order,
                                                               **kw))

    def valve(self, action):
        """A017 open/close; returns the valve state the meter reports after it."""
        reply = self._exchange(lambda **kw: cjt188.valve(self.meter_type, self.address, action,
                                                         di_order=self.di_order, **kw))
        return reply.get("valve_state")

    def control(self, part, verb):
        """``valve`` ``open``/``close``: the valve state the meter reports after it."""
        return self.valve(verb)

    def read_param(self, name):
        """A meter parameter (``protocols.cjt188.params``): 8103 settlement day,
        8104 reading day."""
        read_di, _, field = cjt188_params.dis_of(name)
        reply = self._exchange(lambda **kw: cjt188.read_data(self.meter_type, self.address,
                                                             read_di, di_order=self.di_order,
                                                             **kw))
        return reply.get(field)

    def write_param(self, name, value):
        """Write a meter parameter: A011 settlement day, A012 reading day."""
        _, write_di, field = cjt188_params.dis_of(name)
        self._exchange(lambda **kw: cjt188.request(self.meter_type, self.address, write_di,
                                                   {field: value}, di_order=self.di_order, **kw))

    def clock_writable(self):
        return None

    def set_clock(self, parts):
        """A015 write standard time, (Y, M, D, h, m, s)."""
        self._exchange(lambda **kw: cjt188.write_time(self.meter_type, self.address,
                                                      tuple(parts), di_order=self.di_order,
                                                      **kw))

    def read_clock(self):
        return self.read_current().get("meter_time")


SESSION = Cjt188Session


def open_session(port, row, address, kind=None, **options):
    return Cjt188Session(port, row, address, kind=kind or "water", **options)


def scan(port, row, progress=None, meter_type=0xAA, **options):
    """The CJ/T188 meters on the bus (14-digit addresses), each with the kind
    its own type byte T says (810A to the wildcard type AAH answers with it)."""
    types = {}

    def ask(fixed):
        pattern = wildcard_pattern(fixed, 7)
        s = Cjt188Session(port, row, pattern, meter_type=meter_type)
        reply = s._exchange(lambda **kw: cjt188.request(meter_type, pattern, 0x810A, None, **kw),
                            to=cjt188.WILDCARD)
        types[reply["address"]] = reply["type_byte"]
        return reply["address"]
    result = tree(ask, row.scan["units"], progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    for a in result.found:
        result.add_meter(a, row.name, kind_of_type(types[a]))
    return result
