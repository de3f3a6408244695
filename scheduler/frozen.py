"""How each protocol gives the value of a meter at a boundary.

Where the meter keeps its own frozen record, that record is read: all
meters' values then refer to the same instant, however long the bus takes.

* DL/T645-2007: hourly freeze record N (0504FFNN: time, import, export; the
  last 254 hours), daily freeze record N (0506 00 NN time, 01 NN import block,
  02 NN export block; the last 62 days), settlement data N (energy DI0 = N;
  the last 12 settlement days).  The record's own freeze time must be the
  boundary (as the meter's clock shows it); otherwise the neighbouring
  record is tried (a meter that missed a freeze shifts its numbering).
* DL/T645-1997: last month and the month before (94xx / 98xx).
* CJ/T188: settlement-day values (901F for the last one, D120.. history
  for months 1..12).
* M-Bus: storage numbers k = 1.. (the value at the k-th last due date,
  checked against the record's due date).

Otherwise (and for hourly/daily on those protocols) the current value is
read as soon as possible after the boundary and stored with ``src=read`` and
the real read time; a boundary already past that window cannot be filled.

``read_frozen`` returns ``(records, src)`` with records as the readers give
them, or raises ``Unavailable`` (the meter has no value for that boundary)
or a DriverError (the meter did not answer).
"""

from drivers.errors import MeterRefusedError

# how late a current-value read may still stand for a boundary
READ_WINDOW = {"hourly": 30 * 60, "daily": 4 * 3600, "monthly": 24 * 3600}
DEPTH = {
    "dlt645-2007": {"hourly": 254, "daily": 62, "monthly": 12},
    "dlt645-1997": {"monthly": 2},
    "cjt188": {"monthly": 12},
    "mbus": {"monthly": 12},
}


class Unavailable(Exception):
    """The meter keeps no value for this boundary (too old, never frozen)."""


class NotYet(Exception):
    """The meter has not frozen this boundary yet (its newest record is older:
    the concentrator's clock runs ahead of the meter's).  Retry later."""


def depth(protocol, kind):
    return DEPTH.get(protocol, {}).get(kind, 0)


def read_frozen(reader, protocol, kind, boundary, now, quantities, cal):
    """The meter's value(s) for ``boundary``; see the module docstring."""
    if boundary > cal.floor(kind, now):
        raise NotYet("%s is still ahead (the clock was set back)" % cal.iso(boundary))
    n = cal.steps(kind, boundary, cal.floor(kind, now)) + 1   # 1 = the most recent boundary
    if 1 <= n <= depth(protocol, kind):
        if protocol == "dlt645-2007":
            return _dlt645_2007(reader, kind, boundary, n, quantities, cal), "meter"
        if protocol == "dlt645-1997":
            return reader.read(quantities, period="settlement:%d" % n), "meter"
        if protocol == "cjt188":
            return reader.read(quantities, period="settlement:%d" % n), "meter"
        if protocol == "mbus":
            return _mbus(reader, n, boundary, quantities, cal), "meter"
    if n == 1 and now - boundary <= READ_WINDOW[kind]:
        return reader.read(quantities), "read"
    raise Unavailable("%s keeps no %s value for %s" % (protocol, kind, cal.iso(boundary)))


def _dlt645_2007(reader, kind, boundary, n, quantities, cal):
    if kind == "monthly":
        return reader.read(quantities, period="settlement:%d" % n)
    want = cal.iso(boundary)
    most = 254 if kind == "hourly" else 62
    newest = None
    for k in (n, n - 1, n + 1):
        if not 1 <= k <= most:
            continue
        try:
            # an hourly record's block (0504FFNN) starts with its freeze time: one read
            first = reader.read_di((0x0504FF00 if kind == "hourly" else 0x05060000) | k)
        except MeterRefusedError:
            continue      # no such record (yet)
        stamp = first[0]["value"]
        if k == 1:
            newest = stamp
        if stamp is None or stamp[:13] != want[:13]:
            continue
        period = "%s:%d" % (kind, k)
        if kind == "hourly":
            recs = first
        else:
            recs = []
            for d1, prefix in ((0x01, "energy.active.import."), (0x02, "energy.active.export.")):
                if any(q.startswith(prefix) for q in quantities):
                    recs += reader.read_di(0x05060000 | (d1 << 8) | k)
        return [r for r in recs if r["quantity"] in quantities and r.get("period") == period]
    if newest is not None and newest[:13] < want[:13]:
        raise NotYet("the meter's newest %s record is %s, before %s" % (kind, newest, want))
    raise Unavailable("no %s freeze record for %s in the meter" % (kind, want))


def _mbus(reader, k, boundary, quantities, cal):
    recs = reader.read(None, storage=k)
    due = [r for r in recs if r["quantity"] in ("meter.date", "meter.datetime")]
    want = cal.iso(boundary)[:10]
    if due and due[0]["value"] and str(due[0]["value"])[:10] != want:
        raise Unavailable("storage %d holds the value of %s, not %s" % (k, due[0]["value"], want))
    out = [r for r in recs if r["quantity"] in quantities]
    if not out:
        raise Unavailable("the meter has no storage %d" % k)
    return out
