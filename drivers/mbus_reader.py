"""Reading wired M-Bus meters over a Port (EN 13757-2 link layer rules).

* ``init()`` sends SND_NKE; the meter answers E5 and expects FCB = 1 next.
* Each new REQ_UD2 toggles FCB; a retry repeats the same bytes (same FCB),
  so a meter that already answered sends the same telegram again.
* A telegram ending in DIF 1FH says more records follow: request again
  with the toggled FCB and join the records (at most ``max_telegrams``).
* Secondary addressing: select with SND_UD to FDH, CI 52H (E5 = selected),
  then read at FDH; a new selection deselects the previous meter.
"""

from drivers.errors import BadFrameError, NoReplyError
from protocols.mbus import codec as mbus
from protocols.core.errors import CodecError

NETWORK = 0xFD   # 253: the meter selected by secondary address
DEFAULT_TIMEOUT = 0.5


class MBusReader:
    """One M-Bus meter by primary address (0..250) or secondary id (8 digits)."""

    protocol = "mbus"

    def __init__(self, port, address=None, secondary=None, max_telegrams=8):
        self.port = port
        self.secondary = secondary
        self.primary = NETWORK if secondary else int(address)
        self.key = secondary or str(address)
        self.max_telegrams = max_telegrams
        self._fcb = True
        self._initialised = False

    # ------------------------------------------------------------ plumbing
    def _accept_ack(self, frame):
        return None if frame[:1] == b"\xE5" else "expected E5 (ACK), got %s" % frame[:1].hex().upper()

    def _accept_rsp(self, frame):
        try:
            f = mbus.parse_frame(frame)
        except CodecError as err:
            return "undecodable reply: %s" % err
        if f.kind != "long" or f.prm:
            return "expected RSP_UD (a long frame from the meter)"
        if self.primary not in (NETWORK, 0xFE) and f.a != self.primary:
            return "reply from address %d" % f.a
        return None

    def _ack(self, request):
        self.port.transact(request, mbus.Deframer(), self._accept_ack, meter=self.key)

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
            ex = self.port.transact(mbus.req_ud2(self.primary, self._fcb), mbus.Deframer(),
                                    self._accept_rsp, meter=self.key)
            self._fcb = not self._fcb
            telegram = mbus.decode_dict(ex.frame)
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
        for telegram in self.read_telegrams():
            for r in telegram.get("records", []):
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
        return recs

    def read_clock(self):
        for r in self.read():
            if r["quantity"] == "meter.datetime":
                return r["value"]
        return None


def probe_primary(port, address, timeout=None):
    """True when a meter answers SND_NKE at ``address`` (used by scan)."""
    try:
        port.transact(mbus.snd_nke(address), mbus.Deframer(),
                      lambda f: None if f[:1] == b"\xE5" else "not an ACK", meter=str(address),
                      reply_timeout=timeout, retries=0)
        return True
    except (NoReplyError, BadFrameError):
        return False
