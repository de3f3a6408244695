"""Several simulated meters on one virtual RS-485 / M-Bus line.

``Bus(meters, clock, collision="garble").receive(data)`` takes request bytes
in any chunks and returns ``[(delay_seconds, reply_bytes), ...]``: the
delay counts from the end of the request (the last byte of ``data``); a
line (sim.lines) adds the wire time of 11 bits per byte on top.  Nothing here
sleeps.

* One deframer per protocol family on the bus (the registry's ``family``:
  DL/T645 both editions share one; a directed deframer such as Modbus RTU's
  listens for requests) sees every byte; FE wake-up bytes and noise are
  skipped by the deframers.
* Each complete request frame is offered to the meters of its family whose
  ``addressed(frame)`` is true; their ``handle`` gives the reply, their
  ``faults`` (sim.faults) what the line carries of it; the delay is the
  meter's ``reply_delay`` plus any fault delay.
* When two or more meters answer one request (a wildcard read address, an
  M-Bus wildcard selection or address 254 with several slaves, duplicate
  addresses) the replies collide.  ``collision="garble"`` gives one reply,
  the byte-wise OR of the answers aligned at their first byte and padded to
  the longest, at the earliest delay: what an RS-485/M-Bus line delivers, a
  framing or checksum error on the master side.  Identical answers (two E5
  from two selected M-Bus slaves) would OR to a valid frame; real slaves
  answer with slightly different turnaround, so the collision then adds a
  one-bit skew (b | b >> 1): a collision never reads as a valid frame.
  ``collision="first"`` keeps the earliest answer, ``"all"`` returns every
  answer separately (for debugging).

``counters``: frames (requests seen), answered, silent, collisions.
"""

from protocols import registry

MODES = ("garble", "first", "all")


def family_of(protocol):
    """The address space of a protocol on a bus (registry ``family``)."""
    try:
        return registry.get(protocol).family
    except ValueError:
        raise ValueError("no bus family for protocol %r" % (protocol,))


def _protocol_of(family):
    return registry.by_family(family)[0].name


def new_deframer(family):
    """A deframer of ``family`` listening as a meter does (for requests)."""
    return registry.deframer(_protocol_of(family), "request")


def is_valid_frame(family, data):
    """True when ``data`` holds a complete valid frame of ``family``."""
    return bool(new_deframer(family).feed(data))


def collide(family, answers):
    """One (delay, bytes) for several meters' answers (each a list of (delay, bytes))."""
    streams = []
    for outs in answers:
        outs = sorted(outs, key=lambda o: o[0])
        streams.append((outs[0][0], b"".join(b for _, b in outs)))
    delay = min(d for d, _ in streams)
    size = max(len(s) for _, s in streams)
    merged = bytearray(size)
    for _, s in streams:
        for k in range(len(s)):
            merged[k] |= s[k]
    data = bytes(merged)
    if is_valid_frame(family, data) or any(data == s for _, s in streams):
        data = bytes(b | (b >> 1) for b in data)
        if is_valid_frame(family, data):
            data = data[:-1] + bytes((data[-1] ^ 0xFF,))
    return delay, data


def _target(family, frame):
    """The one address a request frame names (as meters write it), or None
    when it may be for several (wildcard, broadcast, secondary selection)."""
    try:
        return registry.addressee(_protocol_of(family), frame)
    except IndexError:
        return None


class Bus:
    """Meters sharing one line (see module docstring)."""

    def __init__(self, meters, clock, collision="garble"):
        if collision not in MODES:
            raise ValueError("collision is one of %s" % ", ".join(MODES))
        self.clock = clock
        self.collision = collision
        self.meters = []
        self.deframers = {}
        self.counters = {"frames": 0, "answered": 0, "silent": 0, "collisions": 0}
        self._index = None
        self._indexed = []
        for m in meters:
            self.add(m)

    def add(self, meter):
        family = family_of(meter.protocol)
        if family not in self.deframers:
            self.deframers[family] = new_deframer(family)
        self.meters.append(meter)
        self._index = None

    def remove(self, meter):
        self.meters.remove(meter)
        self._index = None

    # A request names one address; looking it up beats asking every meter
    # (256 meters on a bus would each decode every frame).  Wildcards,
    # broadcasts and M-Bus secondary addressing still go to all of them.
    def _build_index(self):
        index = {}
        for m in self.meters:
            index.setdefault((family_of(m.protocol), m.address), []).append(m)
        self._index = index
        self._indexed = [(m, m.address) for m in self.meters]

    def _candidates(self, family, frame):
        if self._index is None or any(m.address != a for m, a in self._indexed):
            self._build_index()
        key = _target(family, frame)
        if key is None:
            return [m for m in self.meters if family_of(m.protocol) == family]
        return self._index.get((family, key), ())

    def reset(self):
        """Forget partial frames (a line break, a new port open)."""
        for d in self.deframers.values():
            d.reset()

    def receive(self, data):
        out = []
        for family, deframer in self.deframers.items():
            for frame in deframer.feed(data):
                out.extend(self.offer(family, frame))
        out.sort(key=lambda o: o[0])
        return out

    def offer(self, family, frame):
        """One complete request frame to the meters of ``family``."""
        self.counters["frames"] += 1
        now = self.clock.time()
        answers = []
        for m in self._candidates(family, frame):
            if not m.addressed(frame):
                continue
            reply = m.handle(frame)
            if reply is None:
                continue
            outs = m.faults.apply(m, frame, reply, now) if m.faults else [(0.0, reply)]
            outs = [(m.reply_delay + d, b) for d, b in outs if b]
            if outs:
                answers.append(outs)
        if not answers:
            self.counters["silent"] += 1
            return []
        self.counters["answered"] += 1
        if len(answers) == 1 or self.collision == "all":
            if len(answers) > 1:
                self.counters["collisions"] += 1
            return [o for outs in answers for o in outs]
        self.counters["collisions"] += 1
        if self.collision == "first":
            return min(answers, key=lambda outs: min(d for d, _ in outs))
        return [collide(family, answers)]
