"""Finding meters on a bus (搜表): the addresses answer, collisions are refined.

A request to a wildcard address is answered by every meter that matches.
One clean reply = one meter found; a garbled reply (checksum or framing
error) = several answered at once, so the search fixes one more byte (or
digit) and asks again; silence = nobody there.

* DL/T645-2007: 13H (read address) to ``AA..AA`` then to patterns with the
  low bytes fixed (``AAAAAAAAAA12``): meters match AAH as "any".
* DL/T645-1997: the same with a read of C032 (meter number).
* CJ/T188: 810A (read address) to ``AA`` x 7 and low-byte patterns.
* M-Bus: SND_NKE to primary addresses 0..250; secondary search selects with
  wildcard id digits (``F``), refining the most significant digit first.
* Modbus: slave ids 1..247, any reply or exception counts.
"""

from drivers.cjt188_reader import Cjt188Reader
from drivers.dlt645_reader import Dlt645Reader
from drivers.errors import BadFrameError, MeterRefusedError, NoReplyError, WrongAddressError
from drivers.mbus_reader import probe_primary
from drivers.modbus_reader import probe_slave
from protocols.cjt188 import codec as cjt188
from protocols.mbus import codec as mbus

BCD_BYTES = ["%02d" % b for b in range(100)]


def _probe(ask):
    """'one' with the answer, 'many' on a collision, 'none' on silence."""
    try:
        return "one", ask()
    except (BadFrameError, WrongAddressError):
        return "many", None
    except MeterRefusedError as err:
        return "one", err
    except NoReplyError:
        return "none", None


class ScanResult:
    """Meters found, and address patterns where two meters share an address."""

    def __init__(self):
        self.found = []
        self.duplicates = []
        self.probes = 0

    def as_dict(self):
        return {"found": self.found, "duplicates": self.duplicates, "probes": self.probes}


def _tree(ask, nbytes, digits=BCD_BYTES, progress=None):
    """Depth-first search over address units (bytes, or M-Bus digits)."""
    result = ScanResult()
    result.probes += 1
    state, answer = _probe(lambda: ask(()))
    if state == "one":
        result.found.append(answer)
        return result
    if state == "none":
        return result
    stack = [()]
    while stack:
        prefix = stack.pop()
        for unit in digits:
            fixed = prefix + (unit,)
            if progress:
                progress(fixed)
            result.probes += 1
            state, answer = _probe(lambda: ask(fixed))
            if state == "one":
                result.found.append(answer)
            elif state == "many" and len(fixed) < nbytes:
                stack.append(fixed)
            elif state == "many":
                result.duplicates.append("".join(fixed))
    return result


def _pattern(fixed, nbytes):
    """Low bytes (2-digit strings, lowest first) to a printed wildcard address."""
    return "AA" * (nbytes - len(fixed)) + "".join(reversed(fixed))


def scan_dlt645(port, edition="2007", progress=None):
    """The DL/T645 meters on the bus (ScanResult.found: 12-digit addresses)."""
    from protocols.dlt645 import edition2007 as dlt645
    from protocols.dlt645 import edition1997 as dlt645_1997
    from protocols.dlt645.frame import WILDCARD, Frame

    def ask(fixed):
        pattern = _pattern(fixed, 6)
        r = Dlt645Reader(port, pattern, edition)
        if edition == "2007":
            if len(fixed) == 6:
                # 13H goes to wildcards only: a full address is asked for its 04000401
                return r._exchange(dlt645.read(pattern, 0x04000401)).address
            return r._exchange(Frame(pattern, 0x13, b""), to=WILDCARD).address
        return r._exchange(dlt645_1997.read(pattern, 0xC032), to=WILDCARD).address
    result = _tree(ask, 6, progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    result.duplicates = ["".join(reversed([d[i:i + 2] for i in range(0, len(d), 2)]))
                         for d in result.duplicates]
    return result


def scan_cjt188(port, meter_type=0xAA, progress=None):
    """The CJ/T188 meters on the bus (14-digit addresses)."""
    def ask(fixed):
        pattern = _pattern(fixed, 7)
        r = Cjt188Reader(port, pattern, meter_type=meter_type)
        return r._exchange(lambda **kw: cjt188.request(meter_type, pattern, 0x810A, None, **kw),
                           to=cjt188.WILDCARD)["address"]
    result = _tree(ask, 7, progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    return result


def scan_mbus_primary(port, first=0, last=250, timeout=None, progress=None):
    """Primary addresses that answer SND_NKE with E5."""
    result = ScanResult()
    for a in range(first, last + 1):
        if progress:
            progress((a,))
        result.probes += 1
        if probe_primary(port, a, timeout):
            result.found.append(str(a))
    return result


def scan_mbus_secondary(port, progress=None):
    """Secondary ids (8 digits) found by wildcard selection, then confirmed."""
    digits = tuple("0123456789")

    def ask(fixed):
        pattern = "".join(fixed) + "F" * (8 - len(fixed))
        port.transact(mbus.select_secondary(pattern), mbus.Deframer(),
                      lambda f: None if f[:1] == b"\xE5" else "not an ACK", meter=pattern,
                      retries=0)
        # E5 from two meters looks like one E5: only the RSP_UD collides
        ex = port.transact(mbus.req_ud2(0xFD, True), mbus.Deframer(), None, meter=pattern,
                           retries=0)
        return mbus.decode_dict(ex.frame).get("header", {}).get("id") or pattern
    result = _tree(ask, 8, digits=digits, progress=progress)
    result.found = sorted(a for a in result.found if isinstance(a, str))
    _probe(lambda: port.transact(mbus.deselect(), mbus.Deframer(), None, retries=0))
    return result


def scan_modbus(port, first=1, last=247, timeout=None, progress=None):
    """Slave ids that answer (a reply or an exception reply)."""
    result = ScanResult()
    for slave in range(first, last + 1):
        if progress:
            progress((slave,))
        result.probes += 1
        if probe_slave(port, slave, timeout):
            result.found.append(str(slave))
    return result


def scan(port, protocol, progress=None, **options):
    """Dispatch on protocol; returns a ScanResult."""
    if protocol in ("dlt645-2007", "dlt645-1997"):
        return scan_dlt645(port, protocol[-4:], progress=progress)
    if protocol == "cjt188":
        return scan_cjt188(port, meter_type=options.get("meter_type", 0xAA), progress=progress)
    if protocol == "mbus":
        if options.get("secondary"):
            return scan_mbus_secondary(port, progress=progress)
        return scan_mbus_primary(port, progress=progress, timeout=options.get("timeout"))
    if protocol == "modbus":
        return scan_modbus(port, progress=progress, timeout=options.get("timeout"),
                           first=options.get("first", 1), last=options.get("last", 247))
    raise ValueError("cannot scan protocol %r" % protocol)
