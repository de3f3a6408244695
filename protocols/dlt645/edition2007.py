"""DL/T 645-2007: multi-function electricity meters (the link layer is in dlt645_frame).

Control code C (clause 4.1.4)::

    D7 direction (1 = meter -> master)   D6 error reply   D5 follow-up frames
    D4..D0 function (FUNCTIONS below)

Data field per function, before +33H (clause 7; DI sent DI0 first):

    08H broadcast time   ss mm hh DD MM YY                      no reply
    11H read data        DI0..DI3 [+ parameters]                91H/B1H: DI + value, D1H: error
    12H read follow-up   DI0..DI3 SEQ                           92H/B2H: DI + value + SEQ
    13H read address     (none), to AAAAAAAAAAAA                93H: the 6-byte address
    14H write data       DI PA P0..P2 C0..C3 value              94H (L=0), D4H: error
    15H write address    new address, to AAAAAAAAAAAA           95H (L=0)
    16H freeze           mm hh DD MM (99H = wildcard)           96H (L=0), none when broadcast
    17H change baud      Z (one bit: 02H 600 .. 40H 19200)      97H: Z, D7H: refused
    18H change password  DI PA P0..P2 (old) PA P0..P2 (new)     98H: new PA P0..P2
    19H/1AH/1BH clear    PA P0..P2 C0..C3 [event DI]            99H/9AH/9BH (L=0)
    1CH relay control    PA P0..P2 C0..C3 N1 N2 N3..N8          9CH (L=0), DCH: error

An error reply (D6 = 1) carries one error word (clause 7.1.3, ERROR_BITS).
"""

from protocols.core.errors import (BadValueError, CodecError, LengthError, UnknownIdentifierError,
                                   byte_hex)
from protocols.core.num import Num
from protocols.dlt645 import formats as fmts
from protocols.dlt645 import items
from protocols.dlt645.frame import (BROADCAST, WILDCARD, Deframer, Frame, address_bytes,
                                    decode_frame, error_bits)

NAME = "dlt645-2007"

FUNCTIONS = (
    (0x08, "broadcast_time_sync"),
    (0x11, "read_data"),
    (0x12, "read_follow_up"),
    (0x13, "read_address"),
    (0x14, "write_data"),
    (0x15, "write_address"),
    (0x16, "freeze"),
    (0x17, "change_baud"),
    (0x18, "change_password"),
    (0x19, "clear_max_demand"),
    (0x1A, "clear_meter"),
    (0x1B, "clear_events"),
    (0x1C, "relay_control"),
)

ERROR_BITS = ("other_error", "no_requested_data", "password_error_or_unauthorised",
              "baud_rate_unchangeable", "too_many_year_zones", "too_many_day_periods",
              "too_many_tariffs", None)

BAUDS = ((0x02, 600), (0x04, 1200), (0x08, 2400), (0x10, 4800), (0x20, 9600),
         (0x40, 19200))

RELAY_COMMANDS = (
    (0x1A, "trip"),
    (0x1B, "close_permitted"),
    (0x1C, "close"),
    (0x2A, "alarm_on"),
    (0x2B, "alarm_off"),
    (0x3A, "keep_power_on"),
    (0x3B, "keep_power_off"),
)

# meter run status word 3 (04000503), A.7: the relay bits
RELAY_STATE_BIT = 4      # 0 = relay closed (power on), 1 = open (tripped)
RELAY_COMMAND_BIT = 6

_FUNCTION_NAMES = dict(FUNCTIONS)
_BAUD_OF_CODE = dict(BAUDS)
_CODE_OF_BAUD = dict((b, c) for c, b in BAUDS)
_RELAY_NAMES = dict(RELAY_COMMANDS)
_RELAY_CODES = dict((n, c) for c, n in RELAY_COMMANDS)

__all__ = ("Deframer", "Frame", "decode", "decode_dict", "read", "read_follow_up",
           "read_address", "write", "write_address", "broadcast_time", "freeze",
           "change_baud", "relay_control", "reply_read", "reply_error", "reply_ack")


di_for = items.di_for


def di_bytes(di):
    return di.to_bytes(4, "little")


def _di_of(data, offset):
    if len(data) < 4:
        raise LengthError("data field too short for a data identifier", offset=offset,
                          expected="4 bytes", got="%d" % len(data))
    return int.from_bytes(data[0:4], "little")


# ------------------------------------------------------------- requests ---

def read(address, di, params=b""):
    """11H read data (``params`` for load-profile reads: N and a time)."""
    return Frame(address, 0x11, di_bytes(di) + params)


def read_follow_up(address, di, seq):
    """12H: the next frame of a multi-frame reply (``seq`` 1, 2, ...)."""
    return Frame(address, 0x12, di_bytes(di) + bytes((seq & 0xFF,)))


def read_address():
    """13H to the wildcard address: the only meter on the line gives its address."""
    return Frame(WILDCARD, 0x13, b"")


def _auth(password, operator, level=2):
    return (bytes((level,)) + _hex_le(password, 3, "password") + _hex_le(operator, 4, "operator code"))


def _hex_le(text, nbytes, what):
    s = str(text)
    s = "0" * (2 * nbytes - len(s)) + s
    try:
        raw = bytes.fromhex(s)
    except ValueError:
        raise BadValueError("%s must be hex digits" % what, got=repr(text))
    if len(raw) != nbytes:
        raise BadValueError("%s has %d digits at most" % (what, 2 * nbytes), got=repr(text))
    return bytes(reversed(raw))


def write(address, di, value_bytes, password="000000", operator="00000000", level=2):
    """14H write data: DI, password level and password, operator code, value."""
    return Frame(address, 0x14, di_bytes(di) + _auth(password, operator, level) + value_bytes)


def write_address(new_address):
    """15H to the wildcard address (point-to-point link only)."""
    return Frame(WILDCARD, 0x15, address_bytes(new_address))


def _datetime_fields(dt):
    # dt: (year, month, day, hour, minute, second)
    y, mo, d, h, mi, s = dt
    for what, v, lo, hi in (("month", mo, 1, 12), ("day", d, 1, 31), ("hour", h, 0, 23),
                            ("minute", mi, 0, 59), ("second", s, 0, 59)):
        if v < lo or v > hi:
            raise BadValueError("%s out of range" % what, expected="%d..%d" % (lo, hi),
                                got=str(v))
    return bytes.fromhex("%02d%02d%02d%02d%02d%02d" % (s, mi, h, d, mo, y % 100))


def broadcast_time(dt, address=BROADCAST):
    """08H broadcast time sync; ``dt`` = (Y, M, D, h, m, s).  No reply."""
    return Frame(address, 0x08, _datetime_fields(dt))


def freeze(address=BROADCAST, minute=None, hour=None, day=None, month=None):
    """16H freeze.  None in a field is the 99H wildcard: all None = freeze now,
    (0, 0) = daily at 00:00, (0, 0, 1) = monthly on the 1st, (0,) = hourly."""
    fields = []
    for v in (minute, hour, day, month):
        fields.append(0x99 if v is None else int("%d" % v, 16))
    return Frame(address, 0x16, bytes(fields))


def change_baud(address, baud):
    """17H change baud rate; the meter answers at the old rate, then switches."""
    try:
        return Frame(address, 0x17, bytes((_CODE_OF_BAUD[baud],)))
    except KeyError:
        raise BadValueError("DL/T645 has no baud code for this rate",
                            expected="/".join(str(b) for _, b in BAUDS), got=str(baud))


def relay_control(address, command, password="000000", operator="00000000", level=2,
                  deadline=None):
    """1CH relay control; ``command`` a RELAY_COMMANDS name (``trip``, ``close``...).

    ``deadline`` (Y, M, D, h, m, s) is the command's validity limit; None sends
    zeros as the captured frames do.  Meters with an ESAM need the encrypted
    form, which is outside this codec.
    """
    try:
        n1 = _RELAY_CODES[command]
    except KeyError:
        raise BadValueError("unknown relay command",
                            expected=", ".join(n for _, n in RELAY_COMMANDS), got=repr(command))
    limit = _datetime_fields(deadline) if deadline else b"\x00" * 6
    return Frame(address, 0x1C, _auth(password, operator, level) + bytes((n1, 0)) + limit)


# -------------------------------------------------------------- replies ---

def reply_read(address, di, data, more=False):
    """91H (B1H with ``more``): a meter's answer, ``data`` from items.encode_items."""
    return Frame(address, 0xB1 if more else 0x91, di_bytes(di) + data)


def reply_follow_up(address, di, data, seq, more=False):
    """92H (B2H with ``more``): frame ``seq`` of a multi-frame reply."""
    return Frame(address, 0xB2 if more else 0x92, di_bytes(di) + data + bytes((seq & 0xFF,)))


def reply_error(address, function, word):
    """The error reply to ``function`` (D1H for 11H ...) with an error word."""
    return Frame(address, 0xC0 | function, bytes((word,)))


def reply_ack(address, function, data=b""):
    """A normal reply with no or little data (94H, 96H, 9CH; 93H/97H with data)."""
    return Frame(address, 0x80 | function, data)


# -------------------------------------------------------------- decoding ---

def decode(frame):
    """One complete frame (FE allowed before it) to a Frame."""
    return decode_frame(frame)


def parse(frame):
    """A decoded Frame's data field as a dict of named fields (no link fields)."""
    f = frame
    fn = f.control & 0x1F
    name = _FUNCTION_NAMES.get(fn)
    if name is None:
        raise UnknownIdentifierError("DL/T645-2007 function code not defined", offset=8,
                                     got=byte_hex(f.control))
    data = f.data
    out = {"function": name}
    if f.control & 0x40:
        if not f.control & 0x80:
            raise BadValueError("error bit set in a request", offset=8, got=byte_hex(f.control))
        if len(data) != 1:
            raise LengthError("DL/T645 error reply carries one error word", offset=9,
                              expected="L=1", got="L=%d" % len(data))
        out["error_word"] = "0x%02X" % data[0]
        out["error_bits"] = error_bits(data[0], ERROR_BITS)
        return out
    if f.control & 0x80:
        _parse_reply(fn, data, out, bool(f.control & 0x20))
    else:
        _parse_request(fn, data, out, f.address)
    return out


def _parse_reply(fn, data, out, more=False):
    if fn in (0x11, 0x12):
        body = data
        if fn == 0x12:
            if len(data) < 5:
                raise LengthError("follow-up reply needs DI, data and SEQ", offset=10,
                                  expected=">= 5 bytes", got="%d" % len(data))
            out["seq"] = data[-1]
            body = data[:-1]
        di = _di_of(body, 10)
        out["di"] = items.di_text(di)
        try:
            out["values"] = items.decode_items(di, body[4:], 14)
        except UnknownIdentifierError:
            out["values"] = None
            out["raw"] = bytes(body[4:]).hex().upper()
        except LengthError:
            if not more and fn == 0x11:
                raise
            # one frame of a multi-frame reply may end inside a block: the
            # values come from joining every frame's data (drivers do that)
            out["values"] = None
            out["raw"] = bytes(body[4:]).hex().upper()
            out["partial"] = True
        return
    if fn == 0x13:
        if len(data) != 6:
            raise LengthError("read-address reply carries the 6-byte address", offset=9,
                              expected="L=6", got="L=%d" % len(data))
        out["address_in_data"] = fmts.decode("NNNNNNNNNNNN", data, 10)
        return
    if fn == 0x17:
        _baud_fields(data, out)
        return
    if fn == 0x18 and data:
        out["new_password"] = bytes(reversed(data)).hex().upper()
        return
    if data:
        raise LengthError("this DL/T645 reply carries no data", offset=9, expected="L=0",
                          got="L=%d" % len(data))


def _baud_fields(data, out):
    if len(data) != 1:
        raise LengthError("change-baud carries one byte Z", offset=9, expected="L=1",
                          got="L=%d" % len(data))
    out["baud_code"] = "%02X" % data[0]
    baud = _BAUD_OF_CODE.get(data[0])
    if baud is None:
        raise BadValueError("baud code is not one defined rate bit", offset=10,
                            expected="one of 02H..40H", got=byte_hex(data[0]))
    out["baud"] = baud


def _parse_request(fn, data, out, address):
    if fn == 0x11:
        out["di"] = items.di_text(_di_of(data, 10))
        if len(data) > 4:
            out["params"] = bytes(data[4:]).hex().upper()
    elif fn == 0x12:
        if len(data) != 5:
            raise LengthError("read follow-up carries DI and SEQ", offset=9, expected="L=5",
                              got="L=%d" % len(data))
        out["di"] = items.di_text(_di_of(data, 10))
        out["seq"] = data[4]
    elif fn == 0x13:
        if data:
            raise LengthError("read address carries no data", offset=9, expected="L=0",
                              got="L=%d" % len(data))
    elif fn == 0x14:
        if len(data) < 12:
            raise LengthError("write data needs DI, password and operator code", offset=9,
                              expected="L >= 12", got="L=%d" % len(data))
        di = _di_of(data, 10)
        out["di"] = items.di_text(di)
        _auth_fields(data[4:12], out)
        out["value_raw"] = bytes(data[12:]).hex().upper()
        item = items.lookup(di)
        if item is not None and len(data) - 12 == item.size:
            out["value"] = fmts.decode(item.fmt, data[12:], 22, item.signed)
    elif fn == 0x15:
        if len(data) != 6:
            raise LengthError("write address carries the new 6-byte address", offset=9,
                              expected="L=6", got="L=%d" % len(data))
        out["address_in_data"] = fmts.decode("NNNNNNNNNNNN", data, 10)
    elif fn == 0x08:
        if len(data) != 6:
            raise LengthError("broadcast time carries ss mm hh DD MM YY", offset=9,
                              expected="L=6", got="L=%d" % len(data))
        out["datetime"] = fmts.decode("YYMMDDhhmmss", data, 10)
        out["reply_expected"] = False
    elif fn == 0x16:
        if len(data) != 4:
            raise LengthError("freeze carries mm hh DD MM", offset=9, expected="L=4",
                              got="L=%d" % len(data))
        out["freeze"] = freeze_text(data)
        out["reply_expected"] = address != BROADCAST
    elif fn == 0x17:
        _baud_fields(data, out)
    elif fn == 0x1C:
        if len(data) != 16:
            raise LengthError("relay control carries 16 bytes", offset=9, expected="L=16",
                              got="L=%d" % len(data))
        _auth_fields(data[0:8], out)
        n1 = data[8]
        out["command"] = _RELAY_NAMES.get(n1, "unknown")
        out["n1"] = "%02X" % n1
        out["n2"] = "%02X" % data[9]
        if data[10:16] == b"\x00" * 6:
            out["deadline"] = None
        else:
            out["deadline"] = fmts.decode("YYMMDDhhmmss", data[10:16], 20)
    else:  # 18H..1BH: authenticated commands, kept raw
        if len(data) >= 8:
            _auth_fields(data[0:8], out)
        out["raw"] = bytes(data).hex().upper()


def _auth_fields(raw, out):
    out["password_level"] = raw[0]
    out["password"] = bytes(reversed(raw[1:4])).hex().upper()
    out["operator_code"] = bytes(reversed(raw[4:8])).hex().upper()


def freeze_text(data):
    """mm hh DD MM of a 16H frame as words: immediate, hourly, daily, monthly."""
    mm, hh, dd, mo = ("%02X" % b for b in data)
    if (mm, hh, dd, mo) == ("99", "99", "99", "99"):
        return "immediate"
    if (hh, dd, mo) == ("99", "99", "99"):
        return "hourly at minute %s" % mm
    if (dd, mo) == ("99", "99"):
        return "daily %s:%s" % (hh, mm)
    if mo == "99":
        return "monthly day %s %s:%s" % (dd, hh, mm)
    return "once %s-%s %s:%s" % (mo, dd, hh, mm)


def decode_dict(frame):
    """One complete frame to a plain dict (see module docstring for fields)."""
    f = decode_frame(frame)
    out = {
        "protocol": NAME,
        "address": f.address,
        "control": "0x%02X" % f.control,
        "direction": "reply" if f.control & 0x80 else "request",
        "is_error": bool(f.control & 0x40),
        "more": bool(f.control & 0x20),
        "length": len(f.data),
        "data": bytes(f.data).hex().upper(),
        "broadcast": f.address == BROADCAST,
    }
    out.update(parse(f))
    return out


def relay_state(status_word_3):
    """``open``/``closed`` from status word 3 (hex text as decoded)."""
    word = int(status_word_3, 16)
    return "open" if word & (1 << RELAY_STATE_BIT) else "closed"


def values_of(frame):
    """The value records of a read reply frame (bytes), the fast path for polling.

    Raises CodecError subclasses; an error reply raises BadValueError naming
    the error bits, an unknown DI UnknownIdentifierError.
    """
    f = decode_frame(frame)
    c = f.control
    if c & 0x40:
        word = f.data[0] if f.data else 0
        raise MeterError(word, error_bits(word, ERROR_BITS))
    if c & 0x9F != 0x91:
        raise BadValueError("not a read-data reply", offset=8, expected="91H or B1H",
                            got=byte_hex(c))
    data = f.data
    return items.decode_items(_di_of(data, 10), data[4:], 14)


class MeterError(CodecError):
    """The meter answered with an error reply (D6 set): a valid frame saying no."""

    def __init__(self, word, names):
        super().__init__("meter answered with error word %02XH (%s)" %
                         (word, ", ".join(names) or "no bit set"))
        self.word = word
        self.names = names


def num(text):
    """A Num from decimal text (for building replies and tests)."""
    return Num.parse(text)
