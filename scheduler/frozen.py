"""How a meter gives its value at a boundary.

Where the meter keeps its own frozen record (``registry`` row ``history``:
how many boundaries of each kind), that record is read through the meter
session's ``read_frozen(kind, n, boundary_iso, quantities)``, n = 1 being
the most recent boundary: all meters' values then refer to the same
instant, however long the bus takes.  Each session module says which
records its protocol keeps (``drivers/meters/``).

Otherwise (a kind or an age the meter does not keep) the current value is
read as soon as possible after the boundary and stored with ``src=read`` and
the real read time; a boundary already past that window cannot be filled.

``read_frozen`` returns ``(records, src)`` with records as the sessions give
them, or raises ``Unavailable`` (the meter has no value for that boundary),
``NotYet`` (it has not frozen it yet) or another DriverError (the meter did
not answer).
"""

from drivers.errors import NoRecordError as Unavailable
from drivers.errors import NotFrozenYetError as NotYet
from protocols import registry

# how late a current-value read may still stand for a boundary
READ_WINDOW = {"hourly": 30 * 60, "daily": 4 * 3600, "monthly": 24 * 3600}

__all__ = ("READ_WINDOW", "Unavailable", "NotYet", "depth", "read_frozen")


def depth(protocol, kind):
    """How many ``kind`` boundaries back a meter of ``protocol`` keeps its value."""
    return registry.get(protocol).depth(kind)


def read_frozen(session, kind, boundary, now, quantities, cal):
    """The meter's value(s) for ``boundary``; see the module docstring."""
    if boundary > cal.floor(kind, now):
        raise NotYet("%s is still ahead (the clock was set back)" % cal.iso(boundary))
    n = cal.steps(kind, boundary, cal.floor(kind, now)) + 1   # 1 = the most recent boundary
    if 1 <= n <= depth(session.protocol, kind):
        return session.read_frozen(kind, n, cal.iso(boundary), quantities), "meter"
    if n == 1 and now - boundary <= READ_WINDOW[kind]:
        return session.read(quantities), "read"
    raise Unavailable("%s keeps no %s value for %s" % (session.protocol, kind, cal.iso(boundary)))
