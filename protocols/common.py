"""Shared pieces of every codec: exact numbers, errors, BCD, checksums, CRC, deframing.

Everything here runs unchanged on CPython 3.10+ and MicroPython 1.27 (see
docs/micropython.md for what that rules out): no typing, dataclasses, enum,
decimal or __future__ imports; no bytes.translate, no deletion from a
bytearray, no reliance on dict order, no str.zfill/ljust/rjust, no signed
int.from_bytes.
"""


# ---------------------------------------------------------------- errors ----

class CodecError(Exception):
    """Root of every error a codec raises.

    ``offset`` is the byte offset in the frame (from its first start byte)
    where the problem was found, ``expected``/``got`` what should have been
    there and what was.  The message repeats them so that a log line alone
    tells the whole story.
    """

    def __init__(self, message, offset=None, expected=None, got=None):
        text = message
        if offset is not None:
            text = text + " at byte %d" % offset
        if expected is not None:
            text = text + ": expected %s" % expected
            if got is not None:
                text = text + ", got %s" % got
        elif got is not None:
            text = text + ": got %s" % got
        super().__init__(text)
        self.offset = offset
        self.expected = expected
        self.got = got


class ChecksumError(CodecError):
    """The checksum or CRC of a frame does not match its bytes."""


class LengthError(CodecError):
    """A length field is impossible or disagrees with the frame."""


class TruncatedError(CodecError):
    """The frame or a field inside it ends before it should."""


class FramingError(CodecError):
    """A start, second start or end byte is not where the layout puts it."""


class UnknownIdentifierError(CodecError):
    """A data identifier, function code, VIF or register is not in our tables."""


class BadValueError(CodecError):
    """A field holds a value its encoding does not allow (non-BCD digit, bad date)."""


def hex_of(data):
    """Bytes as upper-case hex pairs separated by spaces (for messages and logs)."""
    return bytes(data).hex(" ").upper()


def byte_hex(b):
    return "%02XH" % b


def skip_wakeup(frame):
    """The index of the first byte after the leading FE wake-up bytes."""
    i = 0
    n = len(frame)
    while i < n and frame[i] == 0xFE:
        i += 1
    return i


# ---------------------------------------------------------- exact numbers ---

class Num:
    """An exact decimal: the integer ``m`` times ten to the power ``e``.

    This is how a meter's digits travel through ``protocols/``: BCD
    ``0012345.67`` is ``Num(1234567, -2)`` and prints as ``12345.67``, with
    exactly the decimals the meter's format gives.  Outside ``protocols/`` it
    becomes a ``decimal.Decimal`` (``to_decimal_tuple``).  Never a float.
    """

    __slots__ = ("m", "e")

    def __init__(self, m, e=0):
        self.m = m
        self.e = e

    def __str__(self):
        m, e = self.m, self.e
        if e >= 0:
            return str(m * 10 ** e) if m else "0"
        sign = "-" if m < 0 else ""
        digits = str(-m if m < 0 else m)
        places = -e
        if len(digits) <= places:
            digits = "0" * (places - len(digits) + 1) + digits
        return sign + digits[:-places] + "." + digits[-places:]

    def __repr__(self):
        return "Num('%s')" % self

    def _key(self):
        m, e = self.m, self.e
        if m == 0:
            return (0, 0)
        while m % 10 == 0:
            m //= 10
            e += 1
        return (m, e)

    def __eq__(self, other):
        if isinstance(other, Num):
            return self._key() == other._key()
        if isinstance(other, int):
            return self._key() == Num(other)._key()
        return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash(self._key())

    def scaled(self, de):
        """The same digits with the decimal point moved ``de`` places right."""
        return Num(self.m, self.e + de)

    def to_decimal_tuple(self):
        """(sign, digits, exponent) as ``decimal.Decimal`` takes it."""
        m = self.m
        digits = tuple(int(c) for c in str(-m if m < 0 else m))
        return (1 if m < 0 else 0, digits, self.e)

    @staticmethod
    def parse(text):
        """``"-12.50"`` -> ``Num(-1250, -2)``; raises BadValueError."""
        s = text.strip()
        neg = s.startswith("-")
        if neg or s.startswith("+"):
            s = s[1:]
        whole, dot, frac = s.partition(".")
        digits = whole + frac
        if not digits or not digits.isdigit():
            raise BadValueError("not a decimal number", got=repr(text))
        m = int(digits)
        return Num(-m if neg else m, -len(frac))


def plain(obj):
    """A decoded structure with every Num turned into its exact string.

    Used to compare results across interpreters and in tests.
    """
    if isinstance(obj, Num):
        return str(obj)
    if isinstance(obj, dict):
        return dict((k, plain(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    return obj


# -------------------------------------------------------------------- BCD ---

def bcd_le(data, offset=0):
    """Packed BCD, least significant byte first (the wire order of DL/T645,
    CJ/T188 and M-Bus), to an int.  Raises BadValueError naming the byte."""
    text = bytes(reversed(data)).hex()
    if text.isdigit() or not text:
        return int(text) if text else 0
    n = len(data)
    for i in range(n):
        b = data[i]
        if (b >> 4) > 9 or (b & 15) > 9:
            raise BadValueError("non-BCD digit", offset=offset + i,
                                expected="two decimal digits", got=byte_hex(b))
    return int(text)


def bcd_be(data, offset=0):
    """Packed BCD, most significant byte first, to an int."""
    text = bytes(data).hex()
    if text.isdigit() or not text:
        return int(text) if text else 0
    for i in range(len(data)):
        b = data[i]
        if (b >> 4) > 9 or (b & 15) > 9:
            raise BadValueError("non-BCD digit", offset=offset + i,
                                expected="two decimal digits", got=byte_hex(b))
    return int(text)


def to_bcd_le(value, nbytes):
    """An int as ``nbytes`` of packed BCD, least significant byte first."""
    if value < 0 or value >= 10 ** (2 * nbytes):
        raise BadValueError("value does not fit %d BCD bytes" % nbytes, got=str(value))
    return bytes(reversed(bytes.fromhex("%0*d" % (2 * nbytes, value))))


def to_bcd_be(value, nbytes):
    """An int as ``nbytes`` of packed BCD, most significant byte first."""
    if value < 0 or value >= 10 ** (2 * nbytes):
        raise BadValueError("value does not fit %d BCD bytes" % nbytes, got=str(value))
    return bytes.fromhex("%0*d" % (2 * nbytes, value))


def digits_le(data):
    """Address-style BCD (low byte first) as its printed digit string, e.g.
    wire ``61 01 00 00 00 00`` -> ``"000000000161"``.  No validation."""
    return bytes(reversed(data)).hex().upper()


def digits_to_le(text, nbytes):
    """The printed digit string of an address back to wire bytes."""
    s = text.strip()
    if len(s) > 2 * nbytes:
        raise BadValueError("address has more than %d digits" % (2 * nbytes), got=repr(text))
    s = "0" * (2 * nbytes - len(s)) + s
    try:
        raw = bytes.fromhex(s)
    except ValueError:
        raise BadValueError("address is not hexadecimal digits", got=repr(text))
    return bytes(reversed(raw))


# ----------------------------------------------- DL/T645 +33H scrambling ---

def _make_tables():
    plus = bytes(((i + 0x33) & 0xFF) for i in range(256))
    minus = bytes(((i - 0x33) & 0xFF) for i in range(256))
    return plus, minus


_PLUS33, _MINUS33 = _make_tables()
_HAS_TRANSLATE = hasattr(bytes, "translate")


def add33(data):
    """Add 33H to every byte (DL/T645 data field, transmit side)."""
    if _HAS_TRANSLATE:
        return bytes(data).translate(_PLUS33)
    return bytes(_PLUS33[b] for b in data)


def sub33(data):
    """Subtract 33H from every byte (DL/T645 data field, receive side)."""
    if _HAS_TRANSLATE:
        return bytes(data).translate(_MINUS33)
    return bytes(_MINUS33[b] for b in data)


# ---------------------------------------------------- checksums and CRC ---

def sum8(data, start=0, end=None):
    """Sum of bytes mod 256 (DL/T645, CJ/T188, M-Bus, Q/GDW 1376.2)."""
    if end is None:
        end = len(data)
    if start == 0 and end == len(data):
        return sum(data) & 0xFF
    return sum(memoryview(data)[start:end]) & 0xFF


def _crc_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


CRC16_TABLE = _crc_table()


def crc16_modbus(data):
    """CRC-16/MODBUS (poly A001H reflected, init FFFFH), table-driven.

    Appended to a frame low byte first; over a whole valid frame it is 0.
    """
    crc = 0xFFFF
    table = CRC16_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc


# ----------------------------------------------------------- deframing ---

NEED_MORE = 0


class Deframer:
    """Cuts complete frames out of a byte stream fed in arbitrary chunks.

    A protocol subclass sets ``START`` (the bytes a frame may begin with) and
    ``MAX_FRAME`` and implements ``check(buf, i)``: given a buffer with a start
    byte at ``i`` it returns the frame's total length when a complete, valid
    frame is there, ``NEED_MORE`` (0) when the bytes so far are a plausible
    beginning, or raises a CodecError when they cannot be a frame.  On such an
    error the deframer counts it, keeps it in ``last_error`` and hunts again
    from the byte after the rejected start byte, so a good frame right after a
    bad one is still found (``last_error`` keeps a checksum error over the
    framing errors of that hunt).  Bytes before a start byte (``FE`` wake-up bytes,
    line noise) are skipped and counted in ``skipped``.  The buffer never holds
    more than ``MAX_FRAME`` bytes: a partial frame can be no longer than that,
    and everything else is dropped as soon as it is seen.
    """

    START = b"\x68"
    MAX_FRAME = 512

    def __init__(self):
        self._buf = b""
        self.skipped = 0
        self.rejected = 0
        self.frames = 0
        self.last_error = None

    def reset(self):
        """Forget any partial frame and the last error (e.g. at the start of a
        new transaction)."""
        self.skipped += len(self._buf)
        self._buf = b""
        self.last_error = None

    def need_more(self):
        """True while a plausible partial frame is buffered."""
        return len(self._buf) > 0

    def pending(self):
        return bytes(self._buf)

    def _next_start(self, buf, i):
        best = -1
        for s in self.START:
            j = buf.find(bytes((s,)), i)
            if j >= 0 and (best < 0 or j < best):
                best = j
        return best

    def feed(self, data):
        """Add bytes; return the list of complete frames now available."""
        buf = self._buf + bytes(data) if self._buf else bytes(data)
        out = []
        i = 0
        n = len(buf)
        while i < n:
            j = self._next_start(buf, i)
            if j < 0:
                self.skipped += n - i
                i = n
                break
            self.skipped += j - i
            i = j
            try:
                length = self.check(buf, i)
            except CodecError as err:
                self.rejected += 1
                # a checksum error says most (the frame was complete); errors
                # from hunting inside the rejected bytes must not hide it
                if not isinstance(self.last_error, ChecksumError) or isinstance(err, ChecksumError):
                    self.last_error = err
                self.skipped += 1
                i += 1
                continue
            if length == NEED_MORE:
                if n - i > self.MAX_FRAME:
                    # cannot happen with a correct check(); guard the bound anyway
                    self.skipped += 1
                    i += 1
                    continue
                break
            out.append(buf[i:i + length])
            self.frames += 1
            i += length
        self._buf = buf[i:] if i < n else b""
        return out

    def check(self, buf, i):
        raise NotImplementedError


def frames_in(deframer, data):
    """All complete frames in ``data``; raises the reason when there is none.

    For decoding one captured frame: leading ``FE`` and noise are skipped, a
    partial frame gives TruncatedError, a rejected one its own error.
    """
    frames = deframer.feed(data)
    if frames:
        return frames
    if deframer.need_more():
        raise TruncatedError("incomplete frame", expected="more bytes",
                             got="%d bytes" % len(deframer.pending()))
    if deframer.last_error is not None:
        raise deframer.last_error
    raise FramingError("no frame start found", expected="start byte " +
                       "/".join(byte_hex(s) for s in deframer.START),
                       got=hex_of(data[:16]) or "nothing")


# ------------------------------------------------------- IEEE 754 values ---

def float_digits(bits, mant_bits=23, exp_bits=8):
    """An IEEE 754 value (given as its integer bit pattern) as the shortest
    exact decimal that reads back to the same bits.

    Meters send float32 (M-Bus DIF 5, many Modbus energy meters).  The
    decimal a person would write for those bits is the shortest one that
    rounds back to them: ``0x3E4CCCCD`` is ``0.2``, not
    ``0.20000000298023223876953125``.  Integer arithmetic only, so CPython
    and MicroPython give the same digits.  Infinity and NaN raise
    BadValueError (a meter that sends them has no value to give).
    """
    bias = (1 << (exp_bits - 1)) - 1
    negative = (bits >> (mant_bits + exp_bits)) & 1
    ex = (bits >> mant_bits) & ((1 << exp_bits) - 1)
    frac = bits & ((1 << mant_bits) - 1)
    if ex == (1 << exp_bits) - 1:
        raise BadValueError("IEEE 754 %s has no value" % ("NaN" if frac else "infinity"),
                            got="%0*X" % ((1 + mant_bits + exp_bits) // 4, bits))
    if ex == 0:
        mant, e2 = frac, 1 - bias - mant_bits
    else:
        mant, e2 = frac | (1 << mant_bits), ex - bias - mant_bits
    if mant == 0:
        return Num(0, 0)
    # value = num / den exactly
    num = mant << e2 if e2 >= 0 else mant
    den = 1 if e2 >= 0 else 1 << -e2
    # round-trip tolerance: half the gap to the neighbour (the gap below a
    # power of two is half the gap above it, so be conservative there)
    tol_e = e2 - 1
    if frac == 0 and ex > 1:
        tol_e = e2 - 2
    # decimal exponent k with 10**k <= value < 10**(k+1)
    k = len(str(num // den)) - 1 if num >= den else -len(str(den // num))
    while num < den * 10 ** k if k >= 0 else num * 10 ** -k < den:
        k -= 1
    for p in range(1, 20):
        q = k - p + 1
        if q >= 0:
            n, d = num, den * 10 ** q
        else:
            n, d = num * 10 ** -q, den
        c = (2 * n + d) // (2 * d)
        if q >= 0:
            xn, xd = c * 10 ** q, 1
        else:
            xn, xd = c, 10 ** -q
        diff_n = xn * den - num * xd
        if diff_n < 0:
            diff_n = -diff_n
        diff_d = xd * den
        if tol_e >= 0:
            ok = diff_n < (diff_d << tol_e)
        else:
            ok = (diff_n << -tol_e) < diff_d
        if ok:
            while c and c % 10 == 0:
                c //= 10
                q += 1
            return Num(-c if negative else c, q)
    raise BadValueError("IEEE 754 value could not be written in 19 digits")
