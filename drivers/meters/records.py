"""What the sessions share: exact values out, and the bus search (搜表).

``exact(records)``: the codecs give exact ``Num`` values; outside
``protocols/`` the exact type is ``decimal.Decimal``.  Sessions convert each
record once, when they hand it out.

``tree(ask, units, digits)``: the collision search of DL/T645, CJ/T188 and
M-Bus secondary addressing.  A request to a wildcard address is answered
by every meter that matches: one clean reply = one meter found; a garbled
reply (checksum or framing error) = several answered at once, so the search
fixes one more unit and asks again; silence = nobody there.
"""

from decimal import Decimal

from drivers.errors import BadFrameError, MeterRefusedError, NoReplyError, WrongAddressError
from protocols.core.num import Num

BCD_BYTES = ["%02d" % b for b in range(100)]


def decimal_of(value):
    """A codec's ``Num`` as the Decimal of the same digits; TypeError for anything else
    (usable as the ``default`` of ``jsonexact.dumps`` for decoded frames)."""
    if isinstance(value, Num):
        return Decimal("%dE%d" % (value.m, value.e))    # exact: no context rounding here
    raise TypeError("%s is not an exact codec number" % type(value).__name__)


def exact(records):
    """The records with each ``Num`` value as a Decimal (new dicts)."""
    out = []
    for r in records:
        if isinstance(r.get("value"), Num):
            r = dict(r, value=decimal_of(r["value"]))
        out.append(r)
    return out


class ScanResult:
    """Meters found, and address patterns where two meters share an address.

    ``found``: the addresses; ``meters``: one archive record per meter found
    (address, protocol, kind where the meter says it or the protocol has one
    kind, options such as a Modbus register map the search detected)."""

    def __init__(self):
        self.found = []
        self.duplicates = []
        self.probes = 0
        self.meters = []

    def add_meter(self, address, protocol, kind=None, options=None):
        self.meters.append({"address": address, "protocol": protocol, "kind": kind,
                            "options": dict(options or {})})

    def as_dict(self):
        return {"found": self.found, "duplicates": self.duplicates, "probes": self.probes,
                "meters": self.meters}


def probe(ask):
    """'one' with the answer, 'many' on a collision, 'none' on silence."""
    try:
        return "one", ask()
    except (BadFrameError, WrongAddressError):
        return "many", None
    except MeterRefusedError as err:
        return "one", err
    except NoReplyError:
        return "none", None


def tree(ask, nunits, digits=BCD_BYTES, progress=None):
    """Depth-first search over address units (bytes, or M-Bus digits)."""
    result = ScanResult()
    result.probes += 1
    state, answer = probe(lambda: ask(()))
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
            state, answer = probe(lambda: ask(fixed))
            if state == "one":
                result.found.append(answer)
            elif state == "many" and len(fixed) < nunits:
                stack.append(fixed)
            elif state == "many":
                result.duplicates.append("".join(fixed))
    return result


def linear(probe_one, first, last, progress=None):
    """Ask every address first..last in turn (M-Bus primary, Modbus)."""
    result = ScanResult()
    for a in range(first, last + 1):
        if progress:
            progress((a,))
        result.probes += 1
        if probe_one(a):
            result.found.append(str(a))
    return result


def wildcard_pattern(fixed, nbytes):
    """Low bytes (2-digit strings, lowest first) to a printed wildcard address."""
    return "AA" * (nbytes - len(fixed)) + "".join(reversed(fixed))
