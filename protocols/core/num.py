"""Exact decimals as the meters give them, and IEEE 754 values to digits.

Runs unchanged on CPython 3.10+ and MicroPython 1.27 (docs/micropython.md):
no typing, dataclasses, enum, decimal or __future__ imports.
"""

from protocols.core.errors import BadValueError


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
