"""Per-port and per-meter link counters (principle 7: everything observable)."""

import threading

FIELDS = ("requests", "replies", "timeouts", "checksum_errors", "framing_errors",
          "wrong_address", "meter_errors", "retries", "bytes_out", "bytes_in", "broadcasts",
          # bytes of attempts that gave no frame; attempts cut by the frame deadline;
          # line failures (EIO, TCP peer gone, open failed) and reopens after one
          "noise_bytes", "frame_deadlines", "port_faults", "reopens")


class Counters:
    """Counts for one port or one meter; thread-safe, cheap to snapshot."""

    __slots__ = FIELDS + ("last_error", "last_error_frame", "last_ok", "_lock")

    def __init__(self):
        for f in FIELDS:
            setattr(self, f, 0)
        self.last_error = None
        self.last_error_frame = None
        self.last_ok = None
        self._lock = threading.Lock()

    def add(self, field, n=1):
        with self._lock:
            setattr(self, field, getattr(self, field) + n)

    def error(self, text, frame=None):
        with self._lock:
            self.last_error = text
            self.last_error_frame = frame.hex(" ").upper() if frame else None

    def ok(self, when):
        with self._lock:
            self.last_ok = when

    def success_rate(self):
        """Replies per request, or None before the first request."""
        return None if not self.requests else self.replies / self.requests

    def snapshot(self):
        with self._lock:
            out = dict((f, getattr(self, f)) for f in FIELDS)
            out["last_error"] = self.last_error
            out["last_error_frame"] = self.last_error_frame
            out["last_ok"] = None if self.last_ok is None else int(self.last_ok)
        rate = self.success_rate()
        out["success_rate"] = None if rate is None else round(rate, 4)
        return out


class CounterSet:
    """A port's own counters and one Counters per meter address."""

    def __init__(self):
        self.port = Counters()
        self._meters = {}
        self._lock = threading.Lock()

    def meter(self, address):
        if address is None:
            return None
        with self._lock:
            c = self._meters.get(address)
            if c is None:
                c = self._meters[address] = Counters()
            return c

    def add(self, meter, field, n=1):
        self.port.add(field, n)
        c = self.meter(meter)
        if c is not None:
            c.add(field, n)

    def error(self, meter, text, frame=None):
        self.port.error(text, frame)
        c = self.meter(meter)
        if c is not None:
            c.error(text, frame)

    def meters(self):
        with self._lock:
            return dict(self._meters)

    def snapshot(self):
        return {"port": self.port.snapshot(),
                "meters": dict((a, c.snapshot()) for a, c in self.meters().items())}
