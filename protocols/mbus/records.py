"""M-Bus variable data records (EN 13757-3:2013 clause 6.3 to 6.6, annex A).

One record on the wire::

    DIF   1 byte   bit 7 E (a DIFE follows), bit 6 storage number LSB,
                   bits 5..4 function (0 instantaneous, 1 maximum, 2 minimum,
                   3 value during error state), bits 3..0 data field:
                   0 no data, 1/2/3/4/6/7 signed integer of 1/2/3/4/6/8 bytes,
                   5 32-bit real, 8 selection for readout (no data),
                   9/A/B/C/E BCD of 2/4/6/8/12 digits, D variable length,
                   F special (0F manufacturer data to the end, 1F the same and
                   more records follow, 2F idle filler, 7F global readout)
    DIFE  0..10    bit 7 E, bit 6 subunit bit n, bits 5..4 tariff bits 2n..2n+1,
                   bits 3..0 storage bits 4n+1..4n+4
    VIF   1 byte   bit 7 E; primary table (mbus_tables.PRIMARY_VIF); FDH/FBH:
                   the first VIFE is a code of the FD/FB extension table;
                   7CH/FCH: plain-text unit, LEN + LEN ASCII characters
                   (last character first) right after the VIF; 7FH/FFH
                   manufacturer specific
    VIFE  0..10    combinable (orthogonal) extensions, table 15: consumed,
                   named in "modifiers"; 70H..77H and 7DH scale the value
    DATA           little endian (CI 76H/77H "mode 2": big endian); BCD with
                   an F in the top nibble is negative; variable length (D):
                   LVAR 00..BF ASCII (last character first), C0..CF positive
                   and D0..DF negative BCD of 2*(LVAR & 0F) digits, E0..EF
                   binary of LVAR-E0 bytes, F0..FA binary of 4*(LVAR-ECH) bytes

Date types and variable-length fields are decoded in mbus_values.

Record dict: ``value`` (common.Num, str for dates, identification numbers and
text, upper-case hex for binary, None for no data), ``unit`` (canonical, see
mbus_tables), ``quantity``, ``label`` (libmbus wording), ``storage``,
``tariff``, ``subunit``, ``function``, ``dif``/``vif``/``vife`` (raw hex of the
DIF and DIFEs, the VIF, the VIFEs), ``modifiers`` (names of the combinable
VIFEs joined by "; ", or None).  Manufacturer data (DIF 0F/1F) is one record
with ``function`` None, the label "Manufacturer specific" or "More records
follow" and the bytes as hex.

Where we follow the standard rather than libmbus (its normalised XML is the
corpus' expectation): VIFE 70H..77H/7DH scale the value wherever they appear
in the VIFE chain (libmbus: only as the first VIFE); VIFE 78H..7BH (additive
correction constant) is read as "this record is an offset in units of
10^(nn-3) x the VIF's unit" (libmbus adds 10^(nn-3) to the value); a date
with the IV (invalid) bit set has the value None (libmbus prints zeros); so
has a 32-bit real that is infinity or NaN.
A BCD field with hex digits A..E (or F
below the top digit) is not a number: EN 13757-3 keeps those codes for error
and display patterns (meters send e.g. DDDDEBBD as a "value during error
state"); its value is the digit string as sent ("DDDDEBBD"), quantity None.
libmbus turns such digits into a number (13131113), which we do not.
"""

from protocols.core.errors import BadValueError, TruncatedError, UnknownIdentifierError, byte_hex
from protocols.core.num import Num, float_digits
from protocols.mbus.values import bcd_int, date_text, lvar_value
from protocols.mbus.tables import (COOLING_MEDIA, ELECTRICITY_MEDIA, FB, FD, HEAT_MEDIA,
                                   NEUTRAL_VIFE, PRIMARY, VIFE_NAMES)

FUNCTIONS = ("instantaneous", "maximum", "minimum", "error")
MAX_DIFE = 10
MAX_VIFE = 10

# Data field (DIF bits 3..0): (length in bytes, coding); -1 = variable length.
# Codings: 0 none, 1 integer, 2 real, 3 BCD, 4 variable, 5 special.
NONE, INT, REAL, BCD, VAR, SPECIAL = 0, 1, 2, 3, 4, 5
DATA_FIELDS = (
    (0, NONE), (1, INT), (2, INT), (3, INT), (4, INT), (4, REAL), (6, INT), (8, INT),
    (0, NONE), (1, BCD), (2, BCD), (3, BCD), (4, BCD), (-1, VAR), (6, BCD), (0, SPECIAL),
)

# Value kinds of a template
K_NUM, K_ID, K_DATE, K_RAW = 0, 1, 2, 3
# How parse_records reads the data of a template
OP_NONE, OP_INT, OP_BCD, OP_REAL, OP_DATE, OP_ID_BCD, OP_ID_NUM, OP_VAR = 0, 1, 2, 3, 4, 5, 6, 7
_OPS = {NONE: OP_NONE, INT: OP_INT, BCD: OP_BCD, REAL: OP_REAL, VAR: OP_VAR}

# Templates of record headers (DIB + VIB bytes) seen before: a meter sends
# the same headers every time, so the table work is done once.  Bounded
# because MicroPython boards have little RAM.
_CACHE_MAX = 512
_cache = {}


def resolve_quantity(q, medium, tariff, vifes):
    if q is None:
        return None
    for v in vifes:
        if v not in NEUTRAL_VIFE:
            return None
    if q == "@energy":
        negative = 0x3C in vifes
        if medium in ELECTRICITY_MEDIA:
            base = "energy.active.export." if negative else "energy.active.import."
            return base + ("t%d" % tariff if tariff else "total")
        if medium in HEAT_MEDIA:
            q = "cooling.energy.total" if negative else "heat.energy.total"
        elif medium in COOLING_MEDIA:
            q = "cooling.energy.total"
        else:
            return None
    elif q == "@power":
        if medium in ELECTRICITY_MEDIA:
            q = "power.active.total"
        elif medium in HEAT_MEDIA or medium in COOLING_MEDIA:
            q = "heat.power"
        else:
            return None
    if tariff:
        # tariff registers of a totalled quantity: volume.t1, heat.energy.t2
        return q[:-5] + "t%d" % tariff if q.endswith(".total") else None
    return q


def template(data, start, dib_end, vif_at, text, vifes, offset):
    """Everything about a record that its DIB and VIB decide (cached)."""
    dif = data[start]
    storage = (dif >> 6) & 1
    tariff = 0
    subunit = 0
    n = 0
    for k in range(start + 1, dib_end):
        dife = data[k]
        storage |= (dife & 0x0F) << (1 + 4 * n)
        tariff |= ((dife >> 4) & 3) << (2 * n)
        subunit |= ((dife >> 6) & 1) << n
        n += 1
    vif = data[vif_at]
    code = vif & 0x7F
    orth = vifes
    if vif == 0xFD or vif == 0xFB:
        if not vifes:
            raise TruncatedError("VIF %s needs an extension byte" % byte_hex(vif),
                                 offset=offset + vif_at, expected="a VIFE")
        table = FD if vif == 0xFD else FB
        entry = table.get(vifes[0] & 0x7F)
        orth = vifes[1:]
    elif code == 0x7C:
        entry = (text, text, 0, None, "n")
    else:
        entry = PRIMARY.get(code)
    if entry is None:
        entry = ("Reserved", "", 0, None, "n")
    label, unit, exp, quantity, kind = entry
    mfr = code == 0x7F and vif != 0xFD and vif != 0xFB
    names = []
    plain = []
    for v in orth:
        c = v & 0x7F
        if mfr:
            break
        plain.append(c)
        names.append(VIFE_NAMES.get(c, "unknown modifier %s" % byte_hex(c)))
        if 0x70 <= c <= 0x77:
            exp += (c & 7) - 6
        elif c == 0x7D:
            exp += 3
        elif 0x78 <= c <= 0x7B:
            exp += (c & 3) - 3
        if c == 0x7F:
            mfr = True
    if mfr:
        plain.append(0x7F)
    length, coding = DATA_FIELDS[dif & 0x0F]
    unsigned = False
    if kind == "date":
        kind = K_DATE if coding == INT and length in (2, 3, 4, 6) else K_NUM
        if kind == K_NUM:
            quantity = None
    elif kind == "id":
        kind = K_ID
    else:
        unsigned = kind == "u"
        kind = K_NUM
    if coding == VAR or coding == NONE:
        kind = K_RAW
    qdep = None
    if quantity is not None and quantity[0] == "@":
        # energy and power: the name depends on the header's medium, resolved
        # per record and remembered per medium
        qdep = (quantity, tariff, tuple(plain), {})
        quantity = None
    else:
        quantity = resolve_quantity(quantity, None, tariff, plain)
    tpl = {
        "value": None, "unit": unit, "quantity": quantity, "label": label,
        "storage": storage, "tariff": tariff, "subunit": subunit,
        "function": FUNCTIONS[(dif >> 4) & 3],
        "dif": data[start:dib_end].hex().upper(),
        "vif": byte_hex(vif)[:2],
        "vife": bytes(vifes).hex().upper(),
        "modifiers": "; ".join(names) if names else None,
    }
    sign = 1 << (8 * length - 1) if coding == INT and not (kind == K_NUM and unsigned) else 0
    if kind == K_ID:
        op = OP_ID_BCD if coding == BCD else OP_ID_NUM
    elif kind == K_DATE:
        op = OP_DATE
    else:
        op = _OPS[coding]
    if coding == VAR:
        length = 1  # the LVAR byte; mbus_values.lvar_value reads the rest
    return (op, length, tpl, exp, sign, qdep, kind)


def parse_records(data, i, end, medium, big, offset):
    """The records in data[i:end]: (list of record dicts, more_records_follow).

    ``medium`` is the header's medium code (None when the telegram has no
    header), ``big`` is True for mode 2 (CI 76H/77H), ``offset`` the position
    of data[0] in the frame, for error messages.
    """
    records = []
    append = records.append
    more = False
    order = "big" if big else "little"
    cache = _cache
    from_bytes = int.from_bytes
    while i < end:
        start = i
        dif = data[i]
        i += 1
        if dif & 0x0F == 0x0F:
            if dif == 0x2F:
                continue
            if dif == 0x0F or dif == 0x1F:
                more = dif == 0x1F
                append(_manufacturer(data, start, end, more))
                break
            if dif == 0x7F:
                append(_global_readout())
                continue
            raise UnknownIdentifierError("reserved special DIF", offset=offset + start,
                                         expected="0FH, 1FH, 2FH or 7FH", got=byte_hex(dif))
        if i < end and not (dif | data[i]) & 0x80 and data[i] != 0x7C:
            # the usual record: one DIF and one VIF
            i += 1
            t = cache.get(data[start:i])
        else:
            t = None
            i = _skip_header(data, start, i, end, offset)
        if t is None:
            t = _header_template(data, start, i, offset)
        op, n, tpl, exp, sign, qdep, _ = t
        j = i + n
        if j > end:
            raise TruncatedError("premature end of data", offset=offset + i,
                                 expected="%d bytes" % n,
                                 got="%d" % (end - i))
        if op == OP_INT:
            v = from_bytes(data[i:j], order)
            if v & sign:
                v -= sign << 1
            value = Num(v, exp)
        elif op == OP_BCD:
            try:
                value = Num(int("%x" % from_bytes(data[i:j], order)), exp)
            except ValueError:
                try:
                    value = Num(bcd_int(data[i:j], order, offset + i), exp)
                except BadValueError:
                    # hex digits A..E: an error/display pattern, not a number
                    raw = data[i:j]
                    rec = dict(tpl)
                    rec["value"] = (raw if big else bytes(reversed(raw))).hex().upper()
                    rec["quantity"] = None
                    append(rec)
                    i = j
                    continue
        elif op == OP_DATE:
            raw = data[i:j]
            value = date_text(bytes(reversed(raw)) if big else raw)
        elif op == OP_REAL:
            try:
                value = float_digits(from_bytes(data[i:j], order))
            except BadValueError:
                value = None  # IEEE infinity or NaN: the meter has no value
            if value is not None and exp:
                value = value.scaled(exp)
        elif op == OP_ID_BCD:       # identification number: its digits as sent
            raw = data[i:j]
            value = (raw if big else bytes(reversed(raw))).hex().upper()
        elif op == OP_ID_NUM:       # ... sent as a binary integer or real
            v = from_bytes(data[i:j], order)
            if sign:
                value = str(v - (sign << 1) if v & sign else v)
            else:
                try:
                    value = str(float_digits(v))
                except BadValueError:
                    value = None
        elif op == OP_VAR:
            value, j = lvar_value(data, i, end, big, offset)
            if exp and isinstance(value, Num):
                value = value.scaled(exp)
        else:
            value = None
        i = j
        rec = dict(tpl)
        rec["value"] = value
        if qdep is not None:
            known = qdep[3]
            q = known.get(medium, "")
            if q == "":
                q = known[medium] = resolve_quantity(qdep[0], medium, qdep[1], qdep[2])
            rec["quantity"] = q
        append(rec)
    return records, more


def _skip_header(data, start, i, end, offset):
    """Index after the DIFEs, VIF, plain text and VIFEs of the record at
    ``start`` (``i`` is just after its DIF); raises on a broken header."""
    if data[start] & 0x80:
        n = 0
        while True:
            if i >= end:
                raise TruncatedError("premature end of record in the DIFEs",
                                     offset=offset + i, expected="a DIFE")
            n += 1
            if n > MAX_DIFE:
                raise BadValueError("more than %d DIFEs" % MAX_DIFE, offset=offset + i)
            i += 1
            if not data[i - 1] & 0x80:
                break
    if i >= end:
        raise TruncatedError("premature end of record before the VIF",
                             offset=offset + i, expected="a VIF")
    vif = data[i]
    i += 1
    if vif & 0x7F == 0x7C:
        if i >= end:
            raise TruncatedError("premature end of the plain-text VIF",
                                 offset=offset + i, expected="its length byte")
        tlen = data[i]
        if i + 1 + tlen > end:
            raise TruncatedError("plain-text VIF runs past the end", offset=offset + i,
                                 expected="%d characters" % tlen,
                                 got="%d bytes left" % (end - i - 1))
        i += 1 + tlen
    if vif & 0x80:
        v0 = i
        while True:
            if i >= end:
                raise TruncatedError("premature end of record in the VIFEs",
                                     offset=offset + i, expected="a VIFE")
            if i - v0 >= MAX_VIFE:
                raise BadValueError("more than %d VIFEs" % MAX_VIFE, offset=offset + i)
            i += 1
            if not data[i - 1] & 0x80:
                break
    return i


def _header_template(data, start, i, offset):
    """The cached template of the record header data[start:i]."""
    key = data[start:i]
    t = _cache.get(key)
    if t is not None:
        return t
    dib_end = start + 1
    while data[dib_end - 1] & 0x80:
        dib_end += 1
    vif = data[dib_end]
    text = None
    k = dib_end + 1
    if vif & 0x7F == 0x7C:
        tlen = data[k]
        text = "".join(chr(c) for c in reversed(data[k + 1:k + 1 + tlen]))
        k += 1 + tlen
    t = template(data, start, dib_end, dib_end, text, data[k:i], offset)
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[key] = t
    return t


def _manufacturer(data, start, end, more):
    return {
        "value": data[start + 1:end].hex().upper(), "unit": "", "quantity": None,
        "label": "More records follow" if more else "Manufacturer specific",
        "storage": 0, "tariff": 0, "subunit": 0, "function": None,
        "dif": byte_hex(data[start])[:2], "vif": None, "vife": None, "modifiers": None,
    }


def _global_readout():
    return {
        "value": None, "unit": "", "quantity": None, "label": "Global readout request",
        "storage": 0, "tariff": 0, "subunit": 0, "function": None,
        "dif": "7F", "vif": None, "vife": None, "modifiers": None,
    }
