"""CJ/T 188-2004 data fields: the layouts of ``cjt188_tables`` to values and back.

A payload (the bytes after DI and SER) is a run of fixed-size fields
(CJ/T 188-2004 clause 5.5).  ``decode_fields`` walks a layout and fills two
things: top-level keys of the frame's dict (``meter_time``, ``status``,
``valve_state``, ``battery_low``, ``settlement_day`` ...) and value records
``{"name", "quantity", "value", "unit"[, "meter_unit", "period"]}``.
``encode_fields`` is its inverse for the builders of ``cjt188``.

Value field (``vu``), 4 bytes BCD then the unit code, e.g. ``00 77 66 55 2C``::

    byte 0   lowest two digits (the decimals for XXXXXX.XX)
    byte 3   highest two digits
    byte 4   unit code (2CH = m3, 05H = kWh, 35H = m3/h ...)

Time field, 7 bytes BCD, e.g. ``31 01 22 11 05 15 20`` = 2015-05-11T22:01:31::

    ss mm hh DD MM YY(low pair) YY(high pair)

Status ST0 ST1: ST0 bits 1..0 valve (00 open, 01 closed, 11 abnormal), bit 2
battery low, bits 7..3 and ST1 vendor specific (clause 5.4.2).
"""

from protocols.core.bcd import bcd_le, digits_to_le, to_bcd_le
from protocols.core.errors import BadValueError, byte_hex
from protocols.core.num import Num
from protocols.cjt188.tables import COOLING_TYPES, DEFAULT_UNITS, UNITS, VALVE_CODES, VALVE_STATES

_UNIT = dict((row[0], row) for row in UNITS)
_UNIT_BY_LABEL = dict((row[1], row[0]) for row in UNITS)
_DEFAULT_UNIT = dict(DEFAULT_UNITS)
_COOLING = dict((row[0], (row[1], row[2])) for row in COOLING_TYPES)
_VALVE_STATE = dict(VALVE_STATES)
_VALVE_CODE = dict(VALVE_CODES)
_VALVE_BY_NAME = dict((name, code) for code, name in VALVE_CODES)
_VALVE_BY_NAME["closed"] = 0x99
_VALVE_ST0 = {"open": 0, "closed": 1, "fault": 3}
_FF = (b"", b"\xFF", b"\xFF\xFF", b"\xFF\xFF\xFF", b"\xFF\xFF\xFF\xFF")
_ZERO7 = bytes(7)
_FF7 = b"\xFF" * 7


def _date_time(raw, offset):
    if raw == _ZERO7 or raw == _FF7:
        return None
    s = bytes(reversed(raw)).hex()
    if not s.isdigit():
        bcd_le(raw, offset)  # raises, naming the byte
    mo, d, h, mi, se = int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14])
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and se < 60):
        raise BadValueError("CJ/T188 time is not a date and time", offset=offset,
                            expected="ss mm hh DD MM YYYY in range",
                            got="%s-%s-%s %s:%s:%s" % (s[0:4], s[4:6], s[6:8], s[8:10],
                                                       s[10:12], s[12:14]))
    return "%s-%s-%sT%s:%s:%s" % (s[0:4], s[4:6], s[6:8], s[8:10], s[10:12], s[12:14])


def decode_fields(layout, data, base, out, values, meter_type, month):
    """Decode ``data`` (exactly the layout's size) into ``out`` and ``values``.

    ``base`` is the offset of ``data`` in the frame (for error messages),
    ``month`` the N of a history DI (period "settlement:N"), else 0.
    """
    p = 0
    for name, kind, size, dec, quantity, extra in layout:
        raw = data[p:p + size]
        if kind == "vu":
            code = data[p + size]
            unit = _UNIT.get(code)
            if raw == _FF[size]:
                value = None
            else:
                value = Num(bcd_le(raw, base + p), dec + (unit[3] if unit else 0))
            cool = _COOLING.get(meter_type)
            if cool is not None and quantity == cool[0]:
                quantity = cool[1]
            rec = {"name": name, "quantity": quantity, "value": value,
                   "unit": unit[2] if unit else None,
                   "meter_unit": unit[1] if unit else byte_hex(code)}
            if extra:
                rec["period"] = "settlement:%d" % month if month else extra
            values.append(rec)
            p += size + 1
            continue
        if kind == "bcd":
            value = None if raw == _FF[size] else Num(bcd_le(raw, base + p), dec)
            values.append({"name": name, "quantity": quantity, "value": value, "unit": extra})
        elif kind == "time":
            when = _date_time(raw, base + p)
            out[name] = when
            values.append({"name": name, "quantity": quantity, "value": when, "unit": ""})
        elif kind == "st":
            st0 = raw[0]
            text = "%02X%02X" % (st0, raw[1])
            valve = _VALVE_STATE[st0 & 3]
            low = bool(st0 & 4)
            out["status"] = text
            out["valve_state"] = valve
            out["battery_low"] = low
            values.append({"name": "status", "quantity": "meter.status", "value": text,
                           "unit": ""})
            values.append({"name": "valve_state", "quantity": "valve.state", "value": valve,
                           "unit": ""})
            values.append({"name": "battery_low", "quantity": "battery.low", "value": low,
                           "unit": ""})
        elif kind == "u8":
            out[name] = raw[0]
        elif kind == "day":
            out[name] = None if raw[0] == 0xFF else bcd_le(raw, base + p)
        elif kind == "hex":
            out[name] = raw.hex().upper()
        elif kind == "addr":
            out[name] = bytes(reversed(raw)).hex().upper()
        elif kind == "valve":
            code = raw[0]
            out["valve_code"] = "%02X" % code
            out["valve_meaning"] = _VALVE_CODE.get(code) or "vendor-%02X" % code
        p += size


# ------------------------------------------------------------ encoding ---

def _digits(value, dec, name):
    """A value as the integer of a format with ``dec`` decimals, exactly."""
    if isinstance(value, Num):
        v = value
    elif isinstance(value, int) and not isinstance(value, bool):
        v = Num(value, 0)
    elif isinstance(value, str):
        v = Num.parse(value)
    else:
        raise BadValueError("%s must be a Num, int or decimal text" % name, got=repr(value))
    if v.m < 0:
        raise BadValueError("%s cannot be negative in BCD" % name, got=str(v))
    if v.e >= dec:
        return v.m * 10 ** (v.e - dec)
    div = 10 ** (dec - v.e)
    if v.m % div:
        raise BadValueError("%s has more decimals than its format (%d)" % (name, -dec),
                            got=str(v))
    return v.m // div


def _unit_code(unit, quantity, name):
    if unit is None:
        code = _DEFAULT_UNIT.get(quantity)
        if code is None:
            raise BadValueError("%s needs a unit" % name)
        return code
    if isinstance(unit, int):
        if not 0 <= unit <= 255:
            raise BadValueError("a unit code is one byte", got=str(unit))
        return unit
    code = _UNIT_BY_LABEL.get(str(unit).replace("m3", "m\u00b3"))
    if code is None:
        raise BadValueError("%s: unit not in the CJ/T188 unit table" % name, got=repr(unit))
    return code


def time_bytes(when):
    """ISO 8601 text or (Y, M, D, h, m, s) to the 7 wire bytes; None = unset (zeros)."""
    if when is None:
        return _ZERO7
    if isinstance(when, (tuple, list)):
        if len(when) != 6:
            raise BadValueError("a time tuple is (Y, M, D, h, m, s)", got=repr(when))
        text = "%04d%02d%02d%02d%02d%02d" % tuple(when)
    else:
        text = str(when).replace("-", "").replace(":", "").replace("T", "").replace(" ", "")
    if len(text) != 14 or not text.isdigit():
        raise BadValueError("time is YYYY-MM-DDThh:mm:ss", got=repr(when))
    raw = to_bcd_le(int(text), 7)
    _date_time(raw, 0)  # range check
    return raw


def status_bytes(valve="open", battery_low=False, vendor=0, st1=0):
    """ST0 ST1 from names: valve "open"/"closed"/"fault", battery flag, vendor bits."""
    if valve not in _VALVE_ST0:
        raise BadValueError("valve state is open, closed or fault", got=repr(valve))
    st0 = _VALVE_ST0[valve] | (4 if battery_low else 0) | ((vendor << 3) & 0xF8)
    return bytes((st0, st1 & 0xFF))


def _status(value):
    if value is None:
        return b"\x00\x00"
    if isinstance(value, (bytes, bytearray)) and len(value) == 2:
        return bytes(value)
    if isinstance(value, str) and len(value) == 4:
        try:
            return bytes.fromhex(value)
        except ValueError:
            pass
    raise BadValueError("status is 2 bytes or 4 hex digits (ST0 first)", got=repr(value))


def _byte(value, name):
    if not isinstance(value, int) or not 0 <= value <= 255:
        raise BadValueError("%s is one byte" % name, got=repr(value))
    return bytes((value,))


def encode_fields(layout, fields, meter_type=0x10):
    """Named fields to a payload.  A ``vu`` field takes a value (Num, int, text
    or None for FF fill) or ``(value, unit)`` with the unit as the meter names
    it ("m³", "kWh", "MWh", "L/h" ...) or as a code; the value is in that unit
    (default: the quantity's canonical unit).  Time takes ISO text, a tuple or
    None, status 2 bytes or hex text, valve_code "open"/"close" or a byte."""
    parts = []
    for name, kind, size, dec, quantity, extra in layout:
        v = fields.get(name)
        if kind == "vu":
            unit = None
            if isinstance(v, tuple):
                v, unit = v
            code = _unit_code(unit, quantity, name)
            parts.append(_FF[size] if v is None else to_bcd_le(_digits(v, dec, name), size))
            parts.append(bytes((code,)))
        elif kind == "bcd":
            parts.append(_FF[size] if v is None else to_bcd_le(_digits(v, dec, name), size))
        elif kind == "time":
            parts.append(time_bytes(v))
        elif kind == "st":
            parts.append(_status(v))
        elif kind == "u8":
            parts.append(_byte(v or 0, name))
        elif kind == "day":
            parts.append(b"\xFF" if v is None else to_bcd_le(v, 1))
        elif kind == "hex":
            try:
                raw = bytes.fromhex(v) if isinstance(v, str) else bytes(v or bytes(size))
            except (ValueError, TypeError):
                raw = b""
            if len(raw) != size:
                raise BadValueError("%s is %d bytes" % (name, size), got=repr(v))
            parts.append(raw)
        elif kind == "addr":
            parts.append(digits_to_le(str(v or ""), size))
        elif kind == "valve":
            code = v
            if isinstance(v, str):
                code = _VALVE_BY_NAME.get(v)
                if code is None and len(v) == 2:
                    try:
                        code = int(v, 16)  # the decoded "valve_code" text
                    except ValueError:
                        pass
            if v is True or v is False:
                code = 0x55 if v else 0x99
            parts.append(_byte(code, "valve command"))
    return b"".join(parts)


_KEEP = ("meter_time", "status", "valve_code", "settlement_day", "reading_day", "start_day",
         "purchase_serial", "key_version", "key", "new_address")


def fields_from_dict(decoded):
    """The builder fields that give back a frame like the one ``decoded`` came from:
    each value in the meter's own unit (the exact inverse of the power-of-ten
    normalisation), time, status and the other named fields as decoded."""
    out = {}
    for key in _KEEP:
        if key in decoded:
            out[key] = decoded[key]
    for rec in decoded.get("values", ()):
        name = rec["name"]
        if name in ("status", "valve_state", "battery_low", "meter_time"):
            continue
        value = rec["value"]
        label = rec.get("meter_unit")
        if label is None:
            out[name] = value
            continue
        code = _UNIT_BY_LABEL.get(label)
        if code is None:
            raise BadValueError("%s: unit not in the CJ/T188 unit table" % name, got=label)
        if value is not None:
            value = Num(value.m, value.e - _UNIT[code][3])
        out[name] = (value, code)
    return out
