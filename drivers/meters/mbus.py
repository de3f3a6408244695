"""Wired M-Bus meters over a port, EN 13757-2/-3 (registry session "mbus").

Reads: ``read(quantities)`` asks REQ_UD2 and takes the instantaneous
records of storage 0 and ``battery.low`` from the header's status byte; ``read_frozen`` of month N takes storage number N (the
value at the N-th last due date; the record's due date must be the
boundary's).  Link layer rules:

* ``init()`` sends SND_NKE; the meter answers E5 and expects FCB = 1 next.
* Each new REQ_UD2 toggles FCB; a retry repeats the same bytes (same FCB),
  so a meter that already answered sends the same telegram again.
* A telegram ending in DIF 1FH says more records follow: request again
  with the toggled FCB and join the records (at most ``max_telegrams``).
* Secondary addressing (archive option ``secondary``, or an 8-digit
  address): select with SND_UD to FDH, CI 52H (E5 = selected), then read at
  FDH; a new selection deselects the previous meter.

A telegram is decoded once, in the acceptance check.  ``scan`` asks SND_NKE
at primary addresses 0..250, or searches secondary ids by wildcard digits.
"""

from drivers.errors import BadFrameError, NoRecordError, NoReplyError, NotSupportedError
from drivers.meters.records import exact, linear, probe, tree
from protocols.core.errors import CodecError
from protocols.mbus import codec as mbus
from protocols.mbus.header import status_records
from protocols.mbus.tables import kind_of_medium

NETWORK = 0xFD   # 253: the meter selected by secondary address


def _ack(frame):
    return None if frame[:1] == b"\xE5" else "expected E5 (ACK), got %s" % frame[:1].hex().upper()


class MBusSession:
    """One M-Bus meter by primary address (0..250) or secondary id (8 digits)."""

    def __init__(self, port, row, address=None, secondary=None, max_telegrams=8):
        self.port = port
        self.row = row
        self.protocol = row.name
        self.secondary = secondary
        self.primary = NETWORK if secondary else int(address)
        self.key = secondary or str(address)
        self.max_telegrams = max_telegrams
        self._fcb = True
        self._initialised = False

    # ------------------------------------------------------------ plumbing
    def _ack(self, request):
        self.port.transact(request, mbus.Deframer(), _ack, meter=self.key)

    def _telegram(self):
        """One REQ_UD2 / RSP_UD: the telegram as a dict, decoded once."""
        taken = []

        def accept(frame):
            try:
                f = mbus.decode(frame)
            except CodecError as err:
                return "undecodable reply: %s" % err
            if f.kind != "long" or f.prm:
                return "expected RSP_UD (a long frame from the meter)"
            if self.primary not in (NETWORK, 0xFE) and f.a != self.primary:
                return "reply from address %d" % f.a
            taken.append(f)
            return None
        self.port.transact(mbus.req_ud2(self.primary, self._fcb), mbus.Deframer(), accept,
                           meter=self.key)
        self._fcb = not self._fcb
        return taken[-1].as_dict()

    def init(self):
        """SND_NKE (and, for a secondary address, the selection)."""
        self._ack(mbus.snd_nke(self.primary if not self.secondary else NETWORK))
        self._fcb = True
        if self.secondary:
            self.select()
        self._initialised = True

    def select(self):
        self._ack(mbus.select_secondary(self.secondary))

    # --------------------------------------------------------------- reads
    def read_telegrams(self):
        """The decoded RSP_UD telegrams of one readout (more-records chain)."""
        if not self._initialised:
            self.init()
        elif self.secondary:
            self.select()
        out = []
        for _ in range(self.max_telegrams):
            telegram = self._telegram()
            if self.secondary and telegram.get("header", {}).get("id") not in (None, self.secondary):
                raise BadFrameError("selected meter %s but %s answered" %
                                    (self.secondary, telegram["header"]["id"]),
                                    port=self.port.name, meter=self.key,
                                    hint="two meters matched the selection: check the ids")
            out.append(telegram)
            if not telegram.get("more_records_follow"):
                break
        return out

    def read(self, quantities=None, storage=0):
        """Value records with a canonical quantity (those named, at ``storage``)."""
        recs = []
        for n, telegram in enumerate(self.read_telegrams()):
            status = status_records(telegram.get("header")) if storage == 0 and n == 0 else []
            for r in telegram.get("records", []) + status:
                if r.get("quantity") is None or r.get("function") not in ("instantaneous", None):
                    continue
                if storage is not None and r.get("storage", 0) != storage:
                    continue
                if quantities and r["quantity"] not in quantities:
                    continue
                rec = dict(r)
                if r.get("storage"):
                    rec["period"] = "storage:%d" % r["storage"]
                recs.append(rec)
        return exact(recs)

    def read_frozen(self, kind, n, boundary_iso, quantities):
        """Storage number ``n``, checked against its due date."""
        recs = self.read(None, storage=n)
        due = [r for r in recs if r["quantity"] in ("meter.date", "meter.datetime")]
        want = boundary_iso[:10]
        if due and due[0]["value"] and str(due[0]["value"])[:10] != want:
            raise NoRecordError("storage %d holds the value of %s, not %s" %
                                (n, due[0]["value"], want), meter=self.key)
        out = [r for r in recs if r["quantity"] in quantities]
        if not out:
            raise NoRecordError("the meter has no storage %d" % n, meter=self.key)
        return out

    def read_clock(self):
        for r in self.read():
            if r["quantity"] == "meter.datetime":
                return r["value"]
        return None

    def clock_writable(self):
        return "not supported by %s" % self.protocol

    def set_clock(self, parts):
        raise NotSupportedError("M-Bus meters' clocks are not set by the concentrator",
                                port=self.port.name, meter=self.key)


SESSION = MBusSession


def open_session(port, row, address, kind=None, secondary=None, **options):
    if address is not None and len(str(address)) == 8 and secondary is None:
        secondary, address = str(address), None
    return MBusSession(port, row, address, secondary=secondary, **options)


def probe_primary(port, address, timeout=None):
    """True when a meter answers SND_NKE at ``address``."""
    try:
        port.transact(mbus.snd_nke(address), mbus.Deframer(),
                      lambda f: None if f[:1] == b"\xE5" else "not an ACK", meter=str(address),
                      reply_timeout=timeout, retries=0)
        return True
    except (NoReplyError, BadFrameError):
        return False


def _identity(frame):
    """(secondary id, medium byte) of an RSP_UD telegram's header."""
    header = mbus.decode_dict(frame).get("header") or {}
    return header.get("id"), header.get("medium")


def scan_secondary(port, row, progress=None):
    """Secondary ids (8 digits) found by wildcard selection, then confirmed;
    the kind from the medium of each meter's header."""
    media = {}

    def ask(fixed):
        pattern = "".join(fixed) + "F" * (8 - len(fixed))
        # a garbled E5 is a collision: refine at once, one transaction
        port.transact(mbus.select_secondary(pattern), mbus.Deframer(),
                      lambda f: None if f[:1] == b"\xE5" else "not an ACK", meter=pattern,
                      retries=0)
        # two E5 at the very same instant may read as one: the RSP_UD collides then
        ex = port.transact(mbus.req_ud2(NETWORK, True), mbus.Deframer(), None, meter=pattern,
                           retries=0)
        ident, medium = _identity(ex.frame)
        media[ident or pattern] = medium
        return ident or pattern
    result = tree(ask, row.scan["units"], digits=tuple("0123456789"), progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    probe(lambda: port.transact(mbus.deselect(), mbus.Deframer(), None, retries=0))
    for a in result.found:
        result.add_meter(a, row.name, kind_of_medium(media.get(a)))
    return result


def _kind_at(port, address):
    """The kind a primary address's RSP_UD header says (None if it says none)."""
    try:
        ex = port.transact(mbus.req_ud2(address, True), mbus.Deframer(), None,
                           meter=str(address), retries=0)
    except (NoReplyError, BadFrameError):
        return None
    return kind_of_medium(_identity(ex.frame)[1])


def scan(port, row, progress=None, secondary=None, timeout=None, first=0, last=250,
         **options):
    """Secondary ids by wildcard search (the registry's method), or with
    ``secondary=False`` the primary addresses 0..250 that answer SND_NKE."""
    if secondary is None:
        secondary = row.scan["method"] == "secondary"
    if secondary:
        return scan_secondary(port, row, progress=progress)
    result = linear(lambda a: probe_primary(port, a, timeout), first, last, progress)
    for a in result.found:
        result.probes += 1
        result.add_meter(a, row.name, _kind_at(port, int(a)))
    return result
