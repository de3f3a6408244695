"""CJ/T 188-2004 (household water, heat and gas meters): frames, data fields, builders.

Frame (CJ/T 188-2004 clause 5.2; tables in ``cjt188_tables``)::

    FE .. FE   wake-up bytes (2..4 usual, 13 seen), not part of the frame
    0        68H      start
    1        T        meter type: 10H..19H water, 20H..29H heat (21H cooling),
                      30H..39H gas, 40H..49H custom, AAH wildcard
    2..8     A0..A6   address, 14 digits packed BCD, A0 (lowest pair) first;
                      A5 A6 are usually the manufacturer code; AA x 7 = wildcard
    9        C        control: D7 direction (1 = from meter), D6 abnormal reply,
                      D5..D0 function (01 read data, 03 read address,
                      04 write data, 09 read key version, 15 write address,
                      16 write meter base)
    10       L        data length
    11..     DATA     DI0 DI1 SER payload   (sent as is: no +33H)
    11+L     CS       sum of bytes 0..10+L mod 256
    12+L     16H      end

    abnormal reply (C = 80H | 40H | function), clause 5.5.1:  DATA = SER ST0 ST1

Data identifier byte order is not consistent in the field: ``1F 90`` and ``90 1F``
both mean 901F, ``A0 17`` is A017.  ``decode`` matches both orders against the
DI table and reports ``di`` (as the standard writes it) and ``di_wire`` (as sent);
builders take ``di_order`` ("le" low byte first, "be" high byte first) per call,
defaulting to the column of ``cjt188_tables.DATA_IDS``.

Payloads (clause 5.5, the layouts in ``cjt188_tables``): 901F water/gas (L=16H)
and heat (L=2EH), D120..D12B history (L=08H: the settlement-day accumulated
volume of month N for water/gas meters, the settlement-day heat for heat
meters), 8102 price table (L=12H), 8103/8104 settlement/reading day (L=04H),
8105 purchase amount (L=12H), 8106 key version (L=04H), 810A address (L=03H,
the address is in the address field), writes A010..A019 and their replies.
Layouts other than 901F, A017 and 810A are from the standard's tables without a
captured frame [unverified].

Where we follow the standard rather than ``spec/protocols.md``:

* the abnormal reply carries ``SER ST0 ST1`` (L=03H), not DI+SER+ST; a 5-byte
  DI+SER+ST variant is accepted as well;
* the heat meter's flow rate is XXXX.XXXX (4 decimals), as the standard's table
  gives it (the spec notes one implementation scaling by 0.01);
* write replies carry what clause 5.5.3 gives: ST for A010/A016/A017, the
  purchase for A013, the key version for A014, nothing for the others (a reply
  of just DI+SER+ST to those is accepted too).

Values are ``common.Num`` with the format's decimals, moved to the canonical
unit only by exact powers of ten (Wh/MWh -> kWh, W/MW -> kW, L -> m3, L/h ->
m3/h); J, kJ, MJ, GJ stay as the meter gave them.  FF-filled fields give None;
an all-zero or all-FF clock gives ``meter.datetime`` None.
"""

from protocols.core.checksum import sum8
from protocols.core.deframer import NEED_MORE, Deframer as _Base, skip_wakeup
from protocols.core.errors import (BadValueError, ChecksumError, FramingError, LengthError,
                                   TruncatedError, UnknownIdentifierError, byte_hex, hex_of)
from protocols.cjt188.tables import (CURRENT, DATA_IDS, DI_FUNCTIONS, FUNCTIONS, HEAT_CURRENT,
                                     HEAT_HISTORY, HISTORY, METER_TYPES, NOTHING, STATUS_ONLY,
                                     WATER_CURRENT, WATER_HISTORY)
from protocols.cjt188.fields import decode_fields, encode_fields

WILDCARD = "AAAAAAAAAAAAAA"
WAKE_UP = b"\xFE\xFE\xFE\xFE"
MAX_DATA = 255


def _types():
    out = {}
    for lo, hi, cls, name in METER_TYPES:
        for t in range(lo, hi + 1):
            out[t] = (cls, name)
    return out


_TYPES = _types()
_FUNCTIONS = dict(FUNCTIONS)
_DI = dict((row[0], row) for row in DATA_IDS)
_WIRE = {}
for _row in DATA_IDS:
    _WIRE[_row[0]] = (_row[0], "be")
    _WIRE[((_row[0] & 0xFF) << 8) | (_row[0] >> 8)] = (_row[0], "le")
_DI_FUNCTION = dict(DI_FUNCTIONS)


class Deframer(_Base):
    """CJ/T188 frames out of a byte stream (FE wake-up bytes and noise skipped)."""

    START = b"\x68"
    MAX_FRAME = 13 + MAX_DATA

    def check(self, buf, i):
        if len(buf) - i < 11 or len(buf) - i < 13 + buf[i + 10]:
            # A stray 68H (line noise at bus turnaround) would hold the real reply
            # back until L bytes arrive; a complete valid frame behind it wins.
            j = buf.find(b"\x68", i + 1)
            while j >= 0:
                if _complete(buf, j):
                    raise FramingError("CJ/T188 false start: a complete frame follows",
                                       offset=0, expected="frame", got="68H at +%d" % (j - i))
                j = buf.find(b"\x68", j + 1)
            return NEED_MORE
        total = 13 + buf[i + 10]
        cs = sum8(buf, i, i + total - 2)
        if buf[i + total - 2] != cs:
            raise ChecksumError("CJ/T188 checksum mismatch", offset=total - 2,
                                expected=byte_hex(cs), got=byte_hex(buf[i + total - 2]))
        if buf[i + total - 1] != 0x16:
            raise FramingError("CJ/T188 end byte missing", offset=total - 1,
                               expected="16H", got=byte_hex(buf[i + total - 1]))
        return total


def _complete(buf, j):
    if len(buf) - j < 13:
        return False
    total = 13 + buf[j + 10]
    return (len(buf) - j >= total and buf[j + total - 1] == 0x16 and
            buf[j + total - 2] == sum8(buf, j, j + total - 2))


class Frame:
    """One CJ/T188 frame: meter type, address (14 printed digits), control, data."""

    __slots__ = ("meter_type", "address", "control", "data")

    def __init__(self, meter_type, address, control, data=b""):
        self.meter_type = meter_type
        self.address = address
        self.control = control
        self.data = data

    @property
    def function(self):
        return self.control & 0x3F

    @property
    def is_reply(self):
        return bool(self.control & 0x80)

    @property
    def is_error(self):
        return bool(self.control & 0x40)

    def encode(self, wake_up=b""):
        if len(self.data) > MAX_DATA:
            raise LengthError("CJ/T188 data field longer than 255 bytes",
                              got="%d bytes" % len(self.data))
        body = (bytes((0x68, self.meter_type & 0xFF)) + address_bytes(self.address) +
                bytes((self.control, len(self.data))) + bytes(self.data))
        return bytes(wake_up) + body + bytes((sum8(body), 0x16))

    def __eq__(self, other):
        return (isinstance(other, Frame) and self.meter_type == other.meter_type and
                self.address == other.address and self.control == other.control and
                bytes(self.data) == bytes(other.data))

    def __repr__(self):
        return "Frame(0x%02X, %r, 0x%02X, %r)" % (self.meter_type, self.address, self.control,
                                                   bytes(self.data).hex())


def address_bytes(address):
    """Printed address (up to 14 hex digits; AA pairs = wildcard) to 7 wire bytes."""
    s = str(address).strip().upper()
    if not s or len(s) > 14:
        raise BadValueError("a CJ/T188 address has 1 to 14 digits", got=repr(address))
    s = "0" * (14 - len(s)) + s
    try:
        raw = bytes.fromhex(s)
    except ValueError:
        raise BadValueError("a CJ/T188 address is hexadecimal digits", got=repr(address))
    return bytes(reversed(raw))


def decode(frame):
    """One complete frame (leading FE allowed) to a Frame; checks length, CS and end."""
    i = skip_wakeup(frame)
    n = len(frame)
    n -= i
    if n < 13:
        raise TruncatedError("CJ/T188 frame shorter than 13 bytes", offset=n,
                             expected="at least 13 bytes", got="%d" % n)
    if frame[i] != 0x68:
        raise FramingError("CJ/T188 start byte missing", offset=0, expected="68H",
                           got=byte_hex(frame[i]))
    length = frame[i + 10]
    total = 13 + length
    if n < total:
        raise TruncatedError("CJ/T188 frame ends early", offset=n,
                             expected="%d bytes for L=%d" % (total, length), got="%d" % n)
    if n > total:
        raise LengthError("bytes after the CJ/T188 end byte", offset=total,
                          expected="%d bytes for L=%d" % (total, length), got="%d" % n)
    cs = sum8(frame, i, i + total - 2)
    if frame[i + total - 2] != cs:
        raise ChecksumError("CJ/T188 checksum mismatch", offset=total - 2,
                            expected=byte_hex(cs), got=byte_hex(frame[i + total - 2]))
    if frame[i + total - 1] != 0x16:
        raise FramingError("CJ/T188 end byte missing", offset=total - 1, expected="16H",
                           got=byte_hex(frame[i + total - 1]))
    address = bytes(reversed(frame[i + 2:i + 9])).hex().upper()
    return Frame(frame[i + 1], address, frame[i + 9], bytes(frame[i + 11:i + total - 2]))


def meter_class(meter_type):
    """'water', 'heat', 'gas', 'custom', 'any' (AAH) or 'unknown'."""
    hit = _TYPES.get(meter_type)
    return hit[0] if hit else "unknown"


def _layout(layout, cls, size):
    if layout is CURRENT:
        if cls == "heat" or (cls not in ("water", "gas", "custom") and size == 43):
            return HEAT_CURRENT
        return WATER_CURRENT
    if layout is HISTORY:
        return HEAT_HISTORY if cls == "heat" else WATER_HISTORY
    return layout


def _layout_size(layout):
    total = 0
    for field in layout:
        total += field[2] + (1 if field[1] == "vu" else 0)
    return total


def parse(frame):
    """The data field of a Frame as a dict: di, di_wire, ser, values, other fields."""
    data = frame.data
    n = len(data)
    control = frame.control
    out = {}
    if control & 0x40:
        if n == 3:
            out["ser"] = data[0]
            decode_fields(STATUS_ONLY, data[1:], 12, out, [], frame.meter_type, 0)
        elif n == 5:
            _di_into(data, out)
            out["ser"] = data[2]
            decode_fields(STATUS_ONLY, data[3:], 14, out, [], frame.meter_type, 0)
        else:
            raise LengthError("CJ/T188 abnormal reply must hold SER ST0 ST1", offset=10,
                              expected="L=3 (or 5 with DI)", got="L=%d" % n)
        return out
    if n < 3:
        raise TruncatedError("CJ/T188 data field too short for DI and SER", offset=11 + n,
                             expected="3 bytes", got="%d" % n)
    di = _di_into(data, out)
    out["ser"] = data[2]
    row = _DI[di]
    reply = control & 0x80
    layout = _layout(row[4] if reply else row[3], meter_class(frame.meter_type), n - 3)
    size = _layout_size(layout)
    if n - 3 != size:
        # Some meters add ST to write replies the standard leaves bare, or leave it out.
        if reply and layout is NOTHING and n == 5:
            layout, size = STATUS_ONLY, 2
        elif reply and layout is STATUS_ONLY and n == 3:
            layout, size = NOTHING, 0
        else:
            raise LengthError("CJ/T188 %s %s has the wrong length" %
                              (row[1], "reply" if reply else "request"), offset=10,
                              expected="L=%d" % (size + 3), got="L=%d" % n)
    values = []
    month = di - 0xD11F if 0xD120 <= di <= 0xD12B else 0
    decode_fields(layout, data[3:], 14, out, values, frame.meter_type, month)
    if values:
        out["values"] = values
    return out


def _di_into(data, out):
    hit = _WIRE.get((data[0] << 8) | data[1])
    if hit is None:
        raise UnknownIdentifierError("CJ/T188 data identifier not in the table", offset=11,
                                     expected="901F, D120..D12B, 8102..810A or A010..A019",
                                     got=hex_of(data[:2]))
    out["di"] = "%04X" % hit[0]
    out["di_wire"] = "%02X%02X" % (data[0], data[1])
    out["di_order"] = hit[1]
    return hit[0]


def decode_dict(frame):
    """One complete frame to a plain dict (see docs/codecs.md)."""
    f = decode(frame)
    t = f.meter_type
    hit = _TYPES.get(t)
    control = f.control
    func = control & 0x3F
    out = {
        "meter_type": "%02X" % t,
        "meter_class": hit[0] if hit else "unknown",
        "meter_type_name": hit[1] if hit else "unknown meter type",
        "address": f.address,
        "control": "0x%02X" % control,
        "function": _FUNCTIONS.get(func) or "function-%02X" % func,
        "is_response": bool(control & 0x80),
        "is_error": bool(control & 0x40),
        "length": len(f.data),
    }
    out.update(parse(f))
    return out


# ----------------------------------------------------------- builders ---

def _di_int(di):
    if isinstance(di, str):
        try:
            di = int(di, 16)
        except ValueError:
            raise BadValueError("a DI is four hex digits", got=repr(di))
    if di not in _DI:
        raise UnknownIdentifierError("CJ/T188 data identifier not in the table",
                                     got="%04X" % di)
    return di


def di_bytes(di, order=None):
    """The two wire bytes of a DI in ``order`` ("le", "be" or None for the default)."""
    di = _di_int(di)
    if order is None:
        order = _DI[di][2]
    if order == "le":
        return bytes((di & 0xFF, di >> 8))
    if order == "be":
        return bytes((di >> 8, di & 0xFF))
    raise BadValueError("DI order is 'le' or 'be'", got=repr(order))


def _frame(meter_type, address, control, di, ser, payload, di_order, wake_up):
    data = di_bytes(di, di_order) + bytes((ser & 0xFF,)) + payload
    return Frame(meter_type, address, control, data).encode(wake_up)


def _function_of(di):
    return _DI_FUNCTION.get(di, 0x04 if di >> 8 == 0xA0 else 0x01)


def request(meter_type, address, di, fields=None, ser=0, di_order=None, wake_up=WAKE_UP):
    """Any request the concentrator sends: the function comes from the DI."""
    di = _di_int(di)
    payload = encode_fields(_DI[di][3], fields or {}, meter_type)
    return _frame(meter_type, address, _function_of(di), di, ser, payload, di_order, wake_up)


def read_data(meter_type, address, di=0x901F, ser=0, di_order=None, wake_up=WAKE_UP):
    """Read data (01H): 901F current data, D120..D12B history, 8102..8105."""
    return request(meter_type, address, di, None, ser, di_order, wake_up)


def read_history(meter_type, address, month, ser=0, di_order=None, wake_up=WAKE_UP):
    """Read the settlement data of ``month`` (1..12) months ago (D120..D12B)."""
    if not 1 <= month <= 12:
        raise BadValueError("history month is 1..12", got=str(month))
    return read_data(meter_type, address, 0xD11F + month, ser, di_order, wake_up)


def read_address(ser=0, meter_type=0xAA, di_order=None, wake_up=WAKE_UP):
    """Read address (03H, DI 810A) to the wildcard address: point-to-point links only."""
    return request(meter_type, WILDCARD, 0x810A, None, ser, di_order, wake_up)


def read_key_version(meter_type, address, ser=0, di_order=None, wake_up=WAKE_UP):
    return request(meter_type, address, 0x8106, None, ser, di_order, wake_up)


def write_data(meter_type, address, di, fields=None, ser=0, di_order=None, wake_up=WAKE_UP):
    """Write data (04H, A010..A019; 15H/16H for A018/A016) from named fields."""
    return request(meter_type, address, di, fields, ser, di_order, wake_up)


def valve(meter_type, address, action, ser=0, di_order=None, wake_up=WAKE_UP):
    """Valve control (04H, DI A017): action "open", "close" or a command byte."""
    return request(meter_type, address, 0xA017, {"valve_code": action}, ser, di_order, wake_up)


def write_time(meter_type, address, when, ser=0, di_order=None, wake_up=WAKE_UP):
    """Write standard time (A015): ``when`` ISO 8601 text or (Y, M, D, h, m, s)."""
    return request(meter_type, address, 0xA015, {"meter_time": when}, ser, di_order, wake_up)


def write_address(meter_type, address, new_address, ser=0, di_order=None, wake_up=WAKE_UP):
    """Write address (15H, DI A018): the meter at ``address`` takes ``new_address``."""
    return request(meter_type, address, 0xA018, {"new_address": new_address}, ser, di_order,
                   wake_up)


def write_meter_base(meter_type, address, value, unit=None, ser=0, di_order=None,
                     wake_up=WAKE_UP):
    """Write meter base / sync data (16H, DI A016): the counter's accumulated value."""
    v = value if unit is None else (value, unit)
    return request(meter_type, address, 0xA016, {"base_volume": v}, ser, di_order, wake_up)


def reply(meter_type, address, di, fields=None, ser=0, di_order=None, wake_up=b""):
    """The normal reply a meter sends to a request with ``di``, from named fields
    (the names of ``decode_dict``; see ``cjt188_fields.encode_fields``)."""
    di = _di_int(di)
    layout = _DI[di][4]
    if layout is CURRENT or layout is HISTORY:
        layout = _layout(layout, meter_class(meter_type), 0)
    payload = encode_fields(layout, fields or {}, meter_type)
    return _frame(meter_type, address, 0x80 | _function_of(di), di, ser, payload, di_order,
                  wake_up)


def current_reply(meter_type, address, fields, ser=0, di_order=None, wake_up=b""):
    """901F reply: water/gas or heat layout by meter type."""
    return reply(meter_type, address, 0x901F, fields, ser, di_order, wake_up)


def history_reply(meter_type, address, month, value, unit=None, ser=0, di_order=None,
                  wake_up=b""):
    if not 1 <= month <= 12:
        raise BadValueError("history month is 1..12", got=str(month))
    name = "settlement_heat" if meter_class(meter_type) == "heat" else "settlement_volume"
    v = value if unit is None else (value, unit)
    return reply(meter_type, address, 0xD11F + month, {name: v}, ser, di_order, wake_up)


def valve_reply(meter_type, address, status, ser=0, di_order=None, wake_up=b""):
    """A017 reply (84H): ``status`` as bytes, hex text or ``status_bytes(...)``."""
    return reply(meter_type, address, 0xA017, {"status": status}, ser, di_order, wake_up)


def address_reply(meter_type, address, ser=0, di_order=None, wake_up=b""):
    """810A reply (83H): the meter's own address goes in the address field."""
    return reply(meter_type, address, 0x810A, None, ser, di_order, wake_up)


def error_reply(meter_type, address, function, status, ser=0, wake_up=b""):
    """Abnormal reply (C = C0H | function): SER ST0 ST1."""
    st = encode_fields(STATUS_ONLY, {"status": status}, meter_type)
    data = bytes((ser & 0xFF,)) + st
    return Frame(meter_type, address, 0xC0 | (function & 0x3F), data).encode(wake_up)


def addressee(frame):
    """The one meter address a request frame names, or None for a wildcard."""
    if len(frame) < 9:
        return None
    a = bytes(reversed(frame[2:9])).hex().upper()
    return None if "A" in a else a
