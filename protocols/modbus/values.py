"""Modbus register values: 16-bit registers <-> exact numbers.

MODBUS Application Protocol V1.1b3 clause 4.2 defines only 16-bit registers,
sent high byte first.  Wider values span consecutive registers in an order
each vendor chooses (spec/protocols.md section 6: make it a per-device
setting):

    uint16/int16      1 register     two's complement for the signed types
    uint32/int32      2 registers    "big":    R0 = high word ... Rn = low word
    uint64/int64      4 registers    "little": R0 = low word ... Rn = high word
    float32           2 registers    IEEE 754 binary32 bit pattern, same word orders
    float64           4 registers    IEEE 754 binary64

Integers become ``Num(raw, scale)`` (raw times ten to the power ``scale``),
exactly.  Floats become the shortest decimal that reads back to the same
bits (``common.float_digits``: 0x43663334 is 230.2), then shifted by
``scale``; NaN and infinity raise BadValueError.  The reverse direction, used
by the simulated meter, rounds a Num to the nearest float (half to even) with
integer arithmetic only, and refuses an integer value with more decimals than
its scale allows.
"""

from protocols.core.errors import BadValueError, LengthError, UnknownIdentifierError
from protocols.core.num import Num, float_digits

# name, registers, signed (None for IEEE 754), (mantissa bits, exponent bits)
DATA_TYPES = (
    ("uint16", 1, False, None),
    ("int16", 1, True, None),
    ("uint32", 2, False, None),
    ("int32", 2, True, None),
    ("uint64", 4, False, None),
    ("int64", 4, True, None),
    ("float32", 2, None, (23, 8)),
    ("float64", 4, None, (52, 11)),
)
WORD_ORDERS = ("big", "little")     # big: high word first; little: low word first
_TYPES = dict((row[0], row) for row in DATA_TYPES)


def data_type(name):
    row = _TYPES.get(name)
    if row is None:
        raise UnknownIdentifierError("unknown register data type",
                                     expected="/".join(r[0] for r in DATA_TYPES), got=repr(name))
    return row


def register_count(name):
    return data_type(name)[1]


def _words(registers, order):
    if order == "big":
        return registers
    if order == "little":
        return list(reversed(registers))
    raise UnknownIdentifierError("unknown word order", expected="big or little", got=repr(order))


def registers_to_value(registers, dtype, order="big", scale=None):
    """Registers (16-bit ints) to an exact Num: integers times 10**scale,
    floats as their shortest exact decimal (then times 10**scale)."""
    name, nregs, signed, ieee = data_type(dtype)
    if len(registers) != nregs:
        raise LengthError("%s takes %d registers" % (name, nregs), expected=nregs,
                          got=len(registers))
    raw = 0
    for w in _words(registers, order):
        if not isinstance(w, int) or w < 0 or w > 0xFFFF:
            raise BadValueError("register value must be 0-65535", got=repr(w))
        raw = (raw << 16) | w
    bits = 16 * nregs
    if ieee is not None:
        value = float_digits(raw, ieee[0], ieee[1])
        return value.scaled(scale) if scale else value
    if signed and raw >> (bits - 1):
        raw -= 1 << bits
    return Num(raw, scale or 0)


def _to_ieee(value, mant, expb):
    """Num to the bits of the nearest IEEE 754 value (round half to even)."""
    m, e = value.m, value.e
    sign = 0
    if m < 0:
        sign, m = 1, -m
    if m == 0:
        return 0
    num, den = (m * 10 ** e, 1) if e >= 0 else (m, 10 ** -e)
    bias = (1 << (expb - 1)) - 1
    k = len(bin(num)) - len(bin(den))       # floor(log2(num/den)) is k or k-1
    if (num << -k if k < 0 else num) < (den << k if k > 0 else den):
        k -= 1
    s = max(k, 1 - bias) - mant             # exponent of the last mantissa bit
    n2, d2 = (num, den << s) if s >= 0 else (num << -s, den)
    q, r = divmod(n2, d2)
    if 2 * r > d2 or (2 * r == d2 and q & 1):
        q += 1
    if q >> (mant + 1):
        q >>= 1
        s += 1
    if s == 1 - bias - mant:
        bits = q                            # subnormal, or rounded up to the least normal
    else:
        ex = s + mant + bias
        if ex >= (1 << expb) - 1:
            raise BadValueError("value too large for a %d-bit float" % (1 + mant + expb),
                                got=str(value))
        bits = (ex << mant) | (q - (1 << mant))
    return (sign << (mant + expb)) | bits


def value_to_registers(value, dtype, order="big", scale=None):
    """An exact value (Num or int) to registers, the reverse of
    ``registers_to_value``; raises BadValueError if it does not fit exactly
    (integers) or is out of range."""
    name, nregs, signed, ieee = data_type(dtype)
    if isinstance(value, int) and not isinstance(value, bool):
        value = Num(value)
    if not isinstance(value, Num):
        raise BadValueError("value must be a Num or an int", got=repr(value))
    raw_num = value.scaled(-scale) if scale else value
    bits = 16 * nregs
    if ieee is not None:
        raw = _to_ieee(raw_num, ieee[0], ieee[1])
    else:
        m, e = raw_num.m, raw_num.e
        if e >= 0:
            raw = m * 10 ** e
        elif m % 10 ** -e:
            raise BadValueError("value has more decimals than scale %s allows" % scale,
                                got=str(value))
        else:
            raw = m // 10 ** -e
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
        if raw < lo or raw > hi:
            raise BadValueError("value out of range for %s" % name, got=str(value))
        raw &= (1 << bits) - 1
    words = [(raw >> (16 * (nregs - 1 - j))) & 0xFFFF for j in range(nregs)]
    return _words(words, order) if order != "big" else words
