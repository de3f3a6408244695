"""Q/GDW 1376.2-2013 data units (the bytes after AFN DT1 DT2), both directions.

Every data unit is a declarative layout, a tuple of ``(name, kind, arg)``:

=========  ================================================================
kind       bytes and result
=========  ================================================================
``u8``     1 byte; ``u16``/``u32`` 2/4 bytes, little endian
``enum``   1 byte code plus ``<name>_name`` from the table ``arg``
``addr``   6-byte node address, low byte first -> printed digits
``time6``  BCD ss mm hh DD MM YY -> ``"20YY-MM-DDThh:mm:ss"``
``date3``  BCD DD MM YY -> ``"20YY-MM-DD"``
``ascii``  ``arg`` bytes of ASCII, low byte first (``43 54`` -> ``"TC"``)
``hexle``  ``arg`` bytes low first as printed hex (version ``02 01`` -> ``"0102"``)
``bits``   ``arg = (size, ((key, shift, width), ...))``: bit fields of a
           little-endian word, each into its own key (``name`` unused)
``rate``   2 bytes: D14..D0 rate, D15 unit (0 bit/s, 1 kbit/s) -> ``name``,
           ``name_unit``
``frame``  1 length byte + that many bytes -> ``inner_len``, ``inner_frame``
           (bytes; the meter frame, FE preamble included, not decoded here)
``list``   ``arg = (count_key, sublayout, counted_before)``: a count byte
           (or the earlier key ``count_key``) then that many sub-records
``addrs``  ``arg = count_key``: a count byte then that many 6-byte addresses
=========  ================================================================

``UNITS`` rows are ``(AFN, Fn, name, downlink layout, uplink layout)``; None
means the standard defines no such frame in that direction.  The corpus holds
downlink frames only: uplink layouts follow the 2013 standard as best known
[unverified by capture]; the AFN 03H F10 byte offsets, the vendor-code byte
order and the router status bits match a public concentrator implementation.
"""

from protocols.core.bcd import bcd_le, digits_to_le
from protocols.core.errors import BadValueError, LengthError, TruncatedError

PROTOCOL_TYPES = dict((
    (0, "transparent"),
    (1, "DL/T645-1997"),
    (2, "DL/T645-2007"),
    (3, "DL/T698.45"),
))

# AFN 00H F2 deny: error status (2013 table)
ERROR_CODES = dict((
    (0, "communication timeout"),
    (1, "invalid data unit"),
    (2, "length error"),
    (3, "checksum error"),
    (4, "information class does not exist"),
    (5, "format error"),
    (6, "duplicate meter number"),
    (7, "meter number does not exist"),
    (8, "meter application layer no reply"),
    (9, "master node busy"),
    (10, "master node does not support this command"),
    (11, "slave node no reply"),
    (12, "slave node not in network"),
))

DEVICE_TYPES = dict(((0, "collector"), (1, "meter")))
READ_FLAGS = dict(((0, "failed"), (1, "succeeded"), (2, "may read")))
ROUTE_CHANGES = dict(((1, "reading task finished"), (2, "search task finished")))
EMPTY = ()

# -------------------------------------------------------------- layouts ---

CONFIRM = (("channel_status", "u32", None), ("wait_time", "u16", None))  # [unverified meaning]
DENY = (("error", "enum", ERROR_CODES),)
FORWARD = (("protocol_type", "enum", PROTOCOL_TYPES), ("frame", "frame", None))
VENDOR = (("vendor_code", "ascii", 2), ("chip_code", "ascii", 2),
          ("version_date", "date3", None), ("version", "hexle", 2))
MASTER_ADDRESS = (("master_node_address", "addr", None),)
RUN_MODE = (  # AFN 03H F10 uplink: byte offsets as a public concentrator reads them
    ("mode", "bits", (1, (("comm_type", 0, 4), ("route_management", 4, 1),
                          ("slave_info_mode", 5, 1), ("periodic_read_mode", 6, 2)))),
    ("mode2", "bits", (1, (("delay_support", 0, 3), ("failover_mode", 3, 2),
                           ("broadcast_confirm", 5, 1), ("broadcast_channel_mode", 6, 2)))),
    ("mode3", "bits", (1, (("channel_count", 0, 5), ("power_down_info", 5, 3)))),
    ("mode4", "bits", (1, (("rate_count", 0, 4),))),
    ("reserved", "u16", None),
    ("monitor_timeout_s", "u8", None),
    ("broadcast_timeout_s", "u16", None),
    ("max_frame_length", "u16", None),
    ("max_file_packet", "u16", None),
    ("upgrade_wait_s", "u8", None),
    ("master_node_address", "addr", None),
    ("max_slaves", "u16", None),
    ("slave_count", "u16", None),
    ("protocol_date", "date3", None),
    ("protocol_record_date", "date3", None),
) + VENDOR + (
    ("rates", "list", ("rate_count", (("rate", "rate", None),), True)),
)
SEND_TEST = (("duration_s", "u8", None),)
COMM_TEST = (("rate_index", "u8", None), ("dst_address", "addr", None),
             ("protocol_type", "enum", PROTOCOL_TYPES), ("frame", "frame", None))
REPORTING = (("allow", "u8", None),)
MONITOR_TIMEOUT = (("timeout_s", "u8", None),)
RADIO = (("channel_group", "u8", None), ("tx_power", "u8", None))
NODE = (("address", "addr", None), ("protocol", "enum", PROTOCOL_TYPES))
REPORT_NODES = (("nodes", "list", ("node_count", NODE + (("index", "u16", None),), False)),)
REPORT_READ = (("index", "u16", None), ("protocol_type", "enum", PROTOCOL_TYPES),
               ("duration_s", "u16", None), ("frame", "frame", None))
ROUTE_CHANGE = (("change", "enum", ROUTE_CHANGES),)
REPORT_TYPED = (("nodes", "list", ("node_count", NODE + (
    ("index", "u16", None), ("device_type", "enum", DEVICE_TYPES),
    ("attached_total", "u8", None),
    ("attached", "list", ("attached_count", NODE, False))), False)),)
SLAVE_EVENT = (("device_type", "enum", DEVICE_TYPES), ("protocol_type", "enum", PROTOCOL_TYPES),
               ("frame", "frame", None))
SLAVE_COUNT = (("slave_count", "u16", None), ("max_slaves", "u16", None))
SLAVE_INFO_REQ = (("start_index", "u16", None), ("count", "u8", None))
SLAVE_INFO = (("total", "u16", None), ("nodes", "list", ("node_count", (
    ("address", "addr", None),
    ("info", "bits", (2, (("relay_level", 0, 4), ("signal_quality", 4, 4), ("phase", 8, 3),
                          ("protocol", 11, 3))))), False)))
ROUTER_STATUS = (
    ("status", "bits", (1, (("route_done", 0, 1), ("working", 1, 1), ("event_pending", 2, 1),
                            ("ecc", 4, 4)))),
    ("slave_count", "u16", None), ("read_count", "u16", None), ("relay_read_count", "u16", None),
    ("switches", "bits", (1, (("learning", 0, 1), ("registration_allowed", 1, 1)))),
    ("rate", "rate", None),
    ("relay_level_1", "u8", None), ("relay_level_2", "u8", None), ("relay_level_3", "u8", None),
    ("step_1", "u8", None), ("step_2", "u8", None), ("step_3", "u8", None),
)
ADD_NODES = (("nodes", "list", ("node_count", NODE, False)),)
DELETE_NODES = (("addresses", "addrs", "node_count"),)
REGISTRATION = (("start_time", "time6", None), ("duration_min", "u16", None),
                ("retries", "u8", None), ("slots", "u8", None))
MONITOR_DOWN = (("protocol_type", "enum", PROTOCOL_TYPES), ("delay_related_flag", "u8", None),
                ("attached_addresses", "addrs", "attached_nodes"), ("frame", "frame", None))
MONITOR_UP = (("duration_s", "u16", None), ("protocol_type", "enum", PROTOCOL_TYPES),
              ("frame", "frame", None))
ROUTE_READ_REQ = (("phase", "u8", None), ("address", "addr", None), ("index", "u16", None))
ROUTE_READ_REPLY = (("read_flag", "enum", READ_FLAGS), ("delay_related_flag", "u8", None),
                    ("frame", "frame", None), ("attached_addresses", "addrs", "attached_nodes"))
CLOCK = (("time", "time6", None),)
CORRECT_REQ = (("address", "addr", None), ("delay_s", "u16", None), ("frame", "frame", None))
CORRECT_REPLY = (("frame", "frame", None),)

UNITS = (
    (0x00, 1, "confirm", CONFIRM, CONFIRM),
    (0x00, 2, "deny", DENY, DENY),
    (0x01, 1, "hardware init", EMPTY, None),
    (0x01, 2, "parameter area init", EMPTY, None),
    (0x01, 3, "data area init", EMPTY, None),
    (0x02, 1, "transparent forward", FORWARD, FORWARD),
    (0x03, 1, "vendor code and version", EMPTY, VENDOR),
    (0x03, 4, "master node address", EMPTY, MASTER_ADDRESS),
    (0x03, 10, "run mode info", EMPTY, RUN_MODE),
    (0x04, 1, "send test", SEND_TEST, None),
    (0x04, 2, "slave roll call", EMPTY, None),
    (0x04, 3, "communication test", COMM_TEST, None),
    (0x05, 1, "set master node address", MASTER_ADDRESS, None),
    (0x05, 2, "allow/forbid slave reports", REPORTING, None),
    (0x05, 3, "start broadcast", FORWARD, None),
    (0x05, 4, "set slave monitor timeout", MONITOR_TIMEOUT, None),
    (0x05, 5, "set radio parameters", RADIO, None),
    (0x06, 1, "report slave info", None, REPORT_NODES),
    (0x06, 2, "report read data", None, REPORT_READ),
    (0x06, 3, "report route change", None, ROUTE_CHANGE),
    (0x06, 4, "report slave info and device type", None, REPORT_TYPED),
    (0x06, 5, "report slave event", None, SLAVE_EVENT),
    (0x10, 1, "slave count", EMPTY, SLAVE_COUNT),
    (0x10, 2, "slave info", SLAVE_INFO_REQ, SLAVE_INFO),
    (0x10, 4, "router running status", EMPTY, ROUTER_STATUS),
    (0x11, 1, "add slave nodes", ADD_NODES, None),
    (0x11, 2, "delete slave nodes", DELETE_NODES, None),
    (0x11, 5, "start slave registration", REGISTRATION, None),
    (0x11, 6, "stop slave registration", EMPTY, None),
    (0x12, 1, "route restart", EMPTY, None),
    (0x12, 2, "route pause", EMPTY, None),
    (0x12, 3, "route resume", EMPTY, None),
    (0x13, 1, "monitor slave node", MONITOR_DOWN, MONITOR_UP),
    (0x14, 1, "route read request", ROUTE_READ_REPLY, ROUTE_READ_REQ),
    (0x14, 2, "route clock request", CLOCK, EMPTY),
    (0x14, 3, "route delay-corrected frame", CORRECT_REPLY, CORRECT_REQ),
)

_UNITS = dict(((row[0], row[1]), row) for row in UNITS)


def unit(afn, fn):
    """The UNITS row of (afn, fn), or None."""
    return _UNITS.get((afn, fn))


# ------------------------------------------------------------- decoding ---

def _need(data, p, k, base, name):
    if p + k > len(data):
        raise TruncatedError("Q/GDW1376.2 data unit ends inside %s" % name,
                             offset=base + len(data), expected="%d more bytes" % k,
                             got="%d" % (len(data) - p))


def _bcd_text(raw, offset):
    s = bytes(reversed(raw)).hex()
    if not s.isdigit():
        bcd_le(raw, offset)  # raises, naming the byte
    return s


def decode_layout(layout, data, p, base, out):
    """Decode ``layout`` from ``data[p:]`` into ``out``; returns the new position."""
    for name, kind, arg in layout:
        if kind == "u8" or kind == "enum":
            _need(data, p, 1, base, name)
            out[name] = data[p]
            if kind == "enum":
                out[name + "_name"] = arg.get(data[p], "unknown")
            p += 1
        elif kind == "u16" or kind == "u32" or kind == "rate":
            k = 4 if kind == "u32" else 2
            _need(data, p, k, base, name)
            v = int.from_bytes(data[p:p + k], "little")
            if kind == "rate":
                out[name] = v & 0x7FFF
                out[name + "_unit"] = "kbps" if v & 0x8000 else "bps"
            else:
                out[name] = v
            p += k
        elif kind == "addr":
            _need(data, p, 6, base, name)
            out[name] = bytes(reversed(data[p:p + 6])).hex().upper()
            p += 6
        elif kind == "time6" or kind == "date3":
            k = 6 if kind == "time6" else 3
            _need(data, p, k, base, name)
            s = _bcd_text(data[p:p + k], base + p)
            out[name] = _iso(s, kind, base + p)
            p += k
        elif kind == "ascii" or kind == "hexle":
            _need(data, p, arg, base, name)
            raw = bytes(reversed(data[p:p + arg]))
            out[name] = "".join(chr(c) for c in raw) if kind == "ascii" else raw.hex().upper()
            p += arg
        elif kind == "bits":
            size, subs = arg
            _need(data, p, size, base, name)
            v = int.from_bytes(data[p:p + size], "little")
            for key, shift, width in subs:
                out[key] = (v >> shift) & ((1 << width) - 1)
            p += size
        elif kind == "frame":
            _need(data, p, 1, base, "frame length")
            n = data[p]
            _need(data, p + 1, n, base, "the meter frame")
            out["inner_len"] = n
            out["inner_frame"] = bytes(data[p + 1:p + 1 + n])
            p += 1 + n
        elif kind == "addrs":
            _need(data, p, 1, base, arg)
            n = data[p]
            _need(data, p + 1, 6 * n, base, name)
            out[arg] = n
            out[name] = [bytes(reversed(data[q:q + 6])).hex().upper()
                         for q in range(p + 1, p + 1 + 6 * n, 6)]
            p += 1 + 6 * n
        elif kind == "list":
            count_key, sub, counted = arg
            if counted:
                n = out[count_key]
            else:
                _need(data, p, 1, base, count_key)
                n = data[p]
                out[count_key] = n
                p += 1
            items = []
            for _ in range(n):
                item = {}
                p = decode_layout(sub, data, p, base, item)
                items.append(item)
            out[name] = items
    return p


def _iso(s, kind, offset):
    if kind == "date3":  # DD MM YY, printed YYMMDD
        y, mo, d = s[0:2], s[2:4], s[4:6]
        if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
            raise BadValueError("not a date", offset=offset, expected="DD MM YY",
                                got="%s-%s-%s" % (y, mo, d))
        return "20%s-%s-%s" % (y, mo, d)
    y, mo, d, h, mi, se = s[0:2], s[2:4], s[4:6], s[6:8], s[8:10], s[10:12]
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31 and int(h) < 24 and int(mi) < 60 and
            int(se) < 60):
        raise BadValueError("not a date and time", offset=offset, expected="ss mm hh DD MM YY",
                            got="%s-%s-%s %s:%s:%s" % (y, mo, d, h, mi, se))
    return "20%s-%s-%sT%s:%s:%s" % (y, mo, d, h, mi, se)


def decode_unit(layout, data, base):
    """A whole data unit; ``base`` is its offset in the frame.  Checks the length."""
    out = {}
    p = decode_layout(layout, data, 0, base, out)
    if p != len(data):
        raise LengthError("bytes after the Q/GDW1376.2 data unit", offset=base + p,
                          expected="%d bytes" % p, got="%d" % len(data))
    return out


# ------------------------------------------------------------- encoding ---

def _uint(v, k, name):
    if not isinstance(v, int) or v < 0 or v >> (8 * k):
        raise BadValueError("%s must fit %d byte(s) unsigned" % (name, k), got=repr(v))
    return v.to_bytes(k, "little")


def _time_bytes(text, kind, name):
    digits = str(text).replace("-", "").replace(":", "").replace("T", "").replace(" ", "")
    if len(digits) == (14 if kind == "time6" else 8):
        digits = digits[2:]
    if len(digits) != (12 if kind == "time6" else 6) or not digits.isdigit():
        raise BadValueError("%s must be ISO 8601 (20YY-MM-DD[Thh:mm:ss])" % name, got=repr(text))
    raw = bytes.fromhex(digits)
    if kind == "date3":  # YYMMDD -> DD MM YY
        return bytes((raw[2], raw[1], raw[0]))
    return bytes(reversed(raw))


def _frame_bytes(v):
    if isinstance(v, str):
        try:
            return bytes.fromhex(v)
        except ValueError:
            raise BadValueError("inner_frame hex text is not hex", got=repr(v[:40]))
    return bytes(v or b"")


def encode_layout(layout, fields):
    """Named fields to bytes (missing numbers 0, addresses 000000000000, lists empty)."""
    parts = []
    for name, kind, arg in layout:
        v = fields.get(name)
        if kind == "u8" or kind == "enum":
            parts.append(_uint(v or 0, 1, name))
        elif kind == "u16" or kind == "u32":
            parts.append(_uint(v or 0, 4 if kind == "u32" else 2, name))
        elif kind == "rate":
            rate = v or 0
            if not isinstance(rate, int) or not 0 <= rate < 0x8000:
                raise BadValueError("%s is 0..32767" % name, got=repr(v))
            unit = 0x8000 if fields.get(name + "_unit") == "kbps" else 0
            parts.append((rate | unit).to_bytes(2, "little"))
        elif kind == "addr":
            parts.append(digits_to_le(str(v or "0"), 6))
        elif kind == "time6" or kind == "date3":
            parts.append(_time_bytes(v, kind, name))
        elif kind == "ascii":
            raw = bytes(ord(c) & 0xFF for c in str(v or ""))
            if len(raw) != arg:
                raise BadValueError("%s is %d characters" % (name, arg), got=repr(v))
            parts.append(bytes(reversed(raw)))
        elif kind == "hexle":
            parts.append(digits_to_le(str(v or "0"), arg))
        elif kind == "bits":
            size, subs = arg
            word = 0
            for key, shift, width in subs:
                x = fields.get(key) or 0
                if not isinstance(x, int) or x < 0 or x >> width:
                    raise BadValueError("%s must fit %d bit(s)" % (key, width), got=repr(x))
                word |= x << shift
            parts.append(word.to_bytes(size, "little"))
        elif kind == "frame":
            raw = _frame_bytes(fields.get("inner_frame"))
            parts.append(_uint(len(raw), 1, "inner frame length") + raw)
        elif kind == "addrs":
            addrs = v or ()
            parts.append(_uint(len(addrs), 1, arg))
            for a in addrs:
                parts.append(digits_to_le(str(a), 6))
        elif kind == "list":
            count_key, sub, counted = arg
            items = v or ()
            if not counted:
                parts.append(_uint(len(items), 1, count_key))
            elif len(items) != (fields.get(count_key) or 0):
                raise BadValueError("%s must equal the number of %s" % (count_key, name),
                                    got=str(len(items)))
            for item in items:
                parts.append(encode_layout(sub, item))
    return b"".join(parts)
