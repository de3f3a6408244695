"""Writes tests/vectors/dlt645.json: our own DL/T645 vectors, byte by byte.

Independent of protocols/: every frame is assembled here from the rules of
DL/T 645-2007 clause 4 (68H, address low byte first, 68H, C, L, data + 33H,
sum mod 256, 16H) and the value digits of appendix A, written out by hand in
the table below.  Run it after changing the table:

    python tests/vectors/make_dlt645_vectors.py
"""

import json
from pathlib import Path

ADDR = "201000000012"


def wire_frame(address, control, data, fe=0):
    a = bytes(reversed(bytes.fromhex(address)))
    scrambled = bytes((b + 0x33) & 0xFF for b in data)
    body = b"\x68" + a + b"\x68" + bytes((control, len(scrambled))) + scrambled
    return b"\xfe" * fe + body + bytes((sum(body) & 0xFF, 0x16))


def le(hexdigits):
    """Display-order hex digits -> wire bytes, least significant first."""
    return bytes(reversed(bytes.fromhex(hexdigits)))


def num_digits(text, nbytes, decimals, negative=False):
    """Value text like '-12.345' with the format's decimals -> BCD wire bytes."""
    whole, _, frac = text.lstrip("-").partition(".")
    assert len(frac) == decimals, text
    digits = (whole + frac).rjust(2 * nbytes, "0")
    raw = le(digits)
    if negative:
        raw = raw[:-1] + bytes((raw[-1] | 0x80,))
    return raw


# (di, data bytes in display-order hex OR a value spec, expected records)
# value spec: (text, nbytes, decimals, negative)
READS_2007 = [
    ("00000000", ("-12.34", 4, 2, True), [("energy.active.combined.total", "-12.34", "kWh", None)]),
    ("00010000", ("123456.78", 4, 2, False), [("energy.active.import.total", "123456.78", "kWh", None)]),
    ("00010100", ("1.00", 4, 2, False), [("energy.active.import.t1", "1.00", "kWh", None)]),
    ("00010400", ("0.04", 4, 2, False), [("energy.active.import.t4", "0.04", "kWh", None)]),
    ("00010001", ("999.99", 4, 2, False), [("energy.active.import.total", "999.99", "kWh", "settlement:1")]),
    ("0001000C", ("5.00", 4, 2, False), [("energy.active.import.total", "5.00", "kWh", "settlement:12")]),
    ("00020000", ("7.70", 4, 2, False), [("energy.active.export.total", "7.70", "kWh", None)]),
    ("00030000", ("-0.01", 4, 2, True), [("energy.reactive.combined1.total", "-0.01", "kvarh", None)]),
    ("00050000", ("3.21", 4, 2, False), [("energy.reactive.q1.total", "3.21", "kvarh", None)]),
    ("00080000", ("4.32", 4, 2, False), [("energy.reactive.q4.total", "4.32", "kvarh", None)]),
    ("02010100", ("220.1", 2, 1, False), [("voltage.a", "220.1", "V", None)]),
    ("02010300", ("219.9", 2, 1, False), [("voltage.c", "219.9", "V", None)]),
    ("02020200", ("-1.500", 3, 3, True), [("current.b", "-1.500", "A", None)]),
    ("02030100", ("1.2345", 3, 4, False), [("power.active.a", "1.2345", "kW", None)]),
    ("02040000", ("-0.5000", 3, 4, True), [("power.reactive.total", "-0.5000", "kvar", None)]),
    ("02050000", ("2.0000", 3, 4, False), [("power.apparent.total", "2.0000", "kVA", None)]),
    ("02060000", ("0.987", 2, 3, False), [("power_factor.total", "0.987", "", None)]),
    ("02060300", ("-0.500", 2, 3, True), [("power_factor.c", "-0.500", "", None)]),
    ("02800001", ("0.125", 3, 3, False), [("current.n", "0.125", "A", None)]),
    ("02800002", ("50.02", 2, 2, False), [("frequency", "50.02", "Hz", None)]),
    ("02800007", ("-5.5", 2, 1, True), [("temperature.meter", "-5.5", "\u00b0C", None)]),
    ("02800008", ("3.60", 2, 2, False), [("battery.voltage", "3.60", "V", None)]),
    # 2026-11-23 is a Monday: WW = 01; wire WW DD MM YY
    ("04000101", "26112301", [("meter.date", "2026-11-23", "", None)]),
    ("04000102", "235958", [("meter.time", "23:59:58", "", None)]),
    ("04000401", "201000000012", [("meter.address", "201000000012", "", None)]),
    ("04000402", "000000123456", [("meter.number", "000000123456", "", None)]),
    ("04000409", "001200", [("meter.constant.active", "1200", "imp/kWh", None)]),
    ("04000503", "0010", [("meter.status.3", "0010", "", None)]),
    ("04000B01", "0100", [("settlement.day.1", "01T00", "", None)]),
    ("00900200", ("198.56", 4, 2, False), [("credit.remaining", "198.56", "CNY", None)]),
    ("03300D00", ("27", 3, 0, False), [("count.cover_open", "27", "", None)]),
    ("1D000001", ("3", 3, 0, False), [("count.relay_trip", "3", "", None)]),
    # tamper evidence: counters, and the head of the last cover-open record (start, then end)
    ("03300E00", ("2", 3, 0, False), [("count.terminal_cover_open", "2", "", None)]),
    ("03350000", ("1", 3, 0, False), [("count.magnetic", "1", "", None)]),
    ("03300D01", "261101094512" + "261101093000",
     [("tamper.cover.last", "2026-11-01T09:30:00", "", None)]),
    ("04000507", "0600", [("meter.status.7", "0600", "", None)]),
    # maximum demand: XX.XXXX then YYMMDDhhmm of its occurrence
    ("01010000", "2611011530" + "012345", [("demand.active.import.max.total", "1.2345", "kW", None)]),
    # daily freeze N=1: time of the record, then the import block (total + 4 tariffs)
    ("05060001", "2611230000", [("freeze.time", "2026-11-23T00:00:00", "", "daily:1")]),
    ("05060101", "00000004" + "00000003" + "00000002" + "00000001" + "00000010",
     [("energy.active.import.total", "0.10", "kWh", "daily:1"),
      ("energy.active.import.t1", "0.01", "kWh", "daily:1"),
      ("energy.active.import.t2", "0.02", "kWh", "daily:1"),
      ("energy.active.import.t3", "0.03", "kWh", "daily:1"),
      ("energy.active.import.t4", "0.04", "kWh", "daily:1")]),
    ("0506013E", "00000123", [("energy.active.import.total", "1.23", "kWh", "daily:62")]),
    # hourly freeze N=1: time, import total, export total, and the FF block
    ("05040001", "2611231400", [("freeze.time", "2026-11-23T14:00:00", "", "hourly:1")]),
    ("05040101", "00012345", [("energy.active.import.total", "123.45", "kWh", "hourly:1")]),
    ("05040201", "00000001", [("energy.active.export.total", "0.01", "kWh", "hourly:1")]),
    ("0504FF02", "00000002" + "00012300" + "2611231300",
     [("freeze.time", "2026-11-23T13:00:00", "", "hourly:2"),
      ("energy.active.import.total", "123.00", "kWh", "hourly:2"),
      ("energy.active.export.total", "0.02", "kWh", "hourly:2")]),
    # blocks: FFFF = absent member
    ("0202FF00", "FFFFFF" + "FFFFFF" + "001000", [("current.a", "1.000", "A", None),
                                                   ("current.b", None, "A", None),
                                                   ("current.c", None, "A", None)]),
    ("0001FF01", "00000000" + "00000100", [("energy.active.import.total", "1.00", "kWh", "settlement:1"),
                                           ("energy.active.import.t1", "0.00", "kWh", "settlement:1")]),
]


def block_bytes(spec):
    """Fields written in display order, the LAST wire field first: reversing the
    whole string byte-wise puts every field low byte first, in wire order."""
    return le(spec)


def vectors():
    out = []
    for di, spec, records in READS_2007:
        di_wire = le(di)
        if isinstance(spec, tuple):
            value = num_digits(*spec)
        else:
            value = block_bytes(spec)
        frame = wire_frame(ADDR, 0x91, di_wire + value, fe=2)
        out.append({
            "name": "2007 read reply %s" % di,
            "hex": frame.hex(" ").upper(),
            "direction": "meter_to_master",
            "protocol": "dlt645-2007",
            "expect": {"address": ADDR, "control": "0x91", "function": "read_data", "di": di,
                       "records": [{"quantity": q, "value": v, "unit": u, "period": p}
                                   for q, v, u, p in records]},
            "note": "assembled by tests/vectors/make_dlt645_vectors.py from clause 4 and "
                    "appendix A: value digits written by hand, BCD low byte first, +33H, sum",
        })
    for name, control, data, expect in CONTROL_2007:
        address = expect.pop("address", ADDR)
        frame = wire_frame(address, control, data)
        expect.update({"address": address, "control": "0x%02X" % control})
        out.append({"name": "2007 " + name, "hex": frame.hex(" ").upper(),
                    "direction": "meter_to_master" if control & 0x80 else "master_to_meter",
                    "protocol": "dlt645-2007", "expect": expect,
                    "note": "assembled from clause 7 field layouts by make_dlt645_vectors.py"})
    for name, control, data, expect in CONTROL_1997:
        frame = wire_frame(ADDR, control, data)
        expect.update({"address": ADDR, "control": "0x%02X" % control})
        out.append({"name": "1997 " + name, "hex": frame.hex(" ").upper(),
                    "direction": "meter_to_master" if control & 0x80 else "master_to_meter",
                    "protocol": "dlt645-1997", "expect": expect,
                    "note": "assembled from DL/T645-1997 clause 5 layouts by make_dlt645_vectors.py"})
    return out


PW = bytes((0x02,)) + le("123456") + le("00000001")   # PA=02, P=123456, operator 00000001

CONTROL_2007 = [
    ("read 11H", 0x11, le("00010000"), {"function": "read_data", "di": "00010000"}),
    ("read follow-up 12H seq 2", 0x12, le("0001FF00") + b"\x02",
     {"function": "read_follow_up", "di": "0001FF00", "seq": 2}),
    ("read follow-up reply 92H", 0x92, le("00010000") + le("00001234") + b"\x02",
     {"function": "read_follow_up", "di": "00010000", "seq": 2,
      "records": [{"quantity": "energy.active.import.total", "value": "12.34", "unit": "kWh",
                   "period": None}]}),
    ("follow-up reply with more B2H", 0xB2, le("00010000") + le("00000001") + b"\x01",
     {"function": "read_follow_up", "more": True, "seq": 1}),
    ("read reply with more B1H", 0xB1, le("00010000") + le("00000001"),
     {"function": "read_data", "more": True}),
    ("read address 13H", 0x13, b"", {"function": "read_address", "address": "AAAAAAAAAAAA"}),
    ("read address reply 93H", 0x93, le(ADDR), {"function": "read_address",
                                                "address_in_data": ADDR}),
    ("write 14H meter time", 0x14, le("04000102") + PW + le("120000"),
     {"function": "write_data", "di": "04000102", "password_level": 2, "password": "123456",
      "operator_code": "00000001", "value": "12:00:00"}),
    ("write reply 94H", 0x94, b"", {"function": "write_data"}),
    ("write error D4H bad password", 0xD4, b"\x04",
     {"function": "write_data", "error_word": "0x04",
      "error_bits": ["password_error_or_unauthorised"]}),
    ("write address 15H", 0x15, le("000000000777"),
     {"function": "write_address", "address": "AAAAAAAAAAAA", "address_in_data": "000000000777"}),
    ("write address reply 95H", 0x95, b"", {"function": "write_address"}),
    ("broadcast time 08H", 0x08, le("261123235958"),
     {"function": "broadcast_time_sync", "address": "999999999999",
      "datetime": "2026-11-23T23:59:58", "reply_expected": False}),
    ("freeze hourly at :00 16H", 0x16, bytes((0x00, 0x99, 0x99, 0x99)),
     {"function": "freeze", "freeze": "hourly at minute 00"}),
    ("freeze reply 96H", 0x96, b"", {"function": "freeze"}),
    ("freeze error D6H", 0xD6, b"\x01", {"function": "freeze", "error_bits": ["other_error"]}),
    ("change baud to 9600 17H", 0x17, b"\x20", {"function": "change_baud", "baud": 9600}),
    ("change baud reply 97H", 0x97, b"\x20", {"function": "change_baud", "baud": 9600}),
    ("change baud refused D7H", 0xD7, b"\x08",
     {"function": "change_baud", "error_bits": ["baud_rate_unchangeable"]}),
    ("change password 18H", 0x18, le("04000C01") + bytes((0x02,)) + le("123456") +
     bytes((0x02,)) + le("654321"), {"function": "change_password"}),
    ("change password reply 98H", 0x98, bytes((0x02,)) + le("654321"),
     {"function": "change_password", "new_password": "65432102"}),
    ("clear max demand 19H", 0x19, PW, {"function": "clear_max_demand", "password": "123456"}),
    ("clear max demand reply 99H", 0x99, b"", {"function": "clear_max_demand"}),
    ("clear meter 1AH", 0x1A, PW, {"function": "clear_meter", "operator_code": "00000001"}),
    ("clear meter reply 9AH", 0x9A, b"", {"function": "clear_meter"}),
    ("clear events 1BH", 0x1B, PW + le("FFFFFFFF"), {"function": "clear_events"}),
    ("clear events reply 9BH", 0x9B, b"", {"function": "clear_events"}),
    ("relay close 1CH with deadline", 0x1C, PW + bytes((0x1C, 0x00)) + le("261124000000"),
     {"function": "relay_control", "command": "close", "deadline": "2026-11-24T00:00:00"}),
    ("relay alarm on 1CH", 0x1C, PW + bytes((0x2A, 0x00)) + bytes(6),
     {"function": "relay_control", "command": "alarm_on", "deadline": None}),
    ("relay keep power 1CH", 0x1C, PW + bytes((0x3A, 0x00)) + bytes(6),
     {"function": "relay_control", "command": "keep_power_on"}),
    ("relay reply 9CH", 0x9C, b"", {"function": "relay_control"}),
    ("relay refused DCH", 0xDC, b"\x04",
     {"function": "relay_control", "error_bits": ["password_error_or_unauthorised"]}),
    ("read error D1H several bits", 0xD1, b"\x43",
     {"function": "read_data", "error_word": "0x43",
      "error_bits": ["other_error", "no_requested_data", "too_many_tariffs"]}),
]

CONTROL_1997 = [
    ("read 01H 901F", 0x01, le("901F"), {"function": "read_data", "di": "901F"}),
    ("read reply 81H 901F block", 0x81, le("901F") + le("00000500") + le("00000100") +
     le("00000200") + le("00000300") + le("00000400"),
     {"function": "read_data", "di": "901F",
      "records": [{"quantity": "energy.active.import.total", "value": "5.00", "unit": "kWh", "period": None},
                  {"quantity": "energy.active.import.t1", "value": "1.00", "unit": "kWh", "period": None},
                  {"quantity": "energy.active.import.t2", "value": "2.00", "unit": "kWh", "period": None},
                  {"quantity": "energy.active.import.t3", "value": "3.00", "unit": "kWh", "period": None},
                  {"quantity": "energy.active.import.t4", "value": "4.00", "unit": "kWh", "period": None}]}),
    ("read reply 81H 9410 last month", 0x81, le("9410") + le("00012345"),
     {"records": [{"quantity": "energy.active.import.total", "value": "123.45", "unit": "kWh",
                   "period": "settlement:1"}]}),
    ("read reply 81H 9120 reactive reverse", 0x81, le("9120") + le("00000099"),
     {"records": [{"quantity": "energy.reactive.export.total", "value": "0.99", "unit": "kvarh",
                   "period": None}]}),
    ("read reply 81H B621 current", 0x81, le("B621") + le("1234"),
     {"records": [{"quantity": "current.a", "value": "12.34", "unit": "A", "period": None}]}),
    ("read reply 81H B640 reactive power", 0x81, le("B640") + le("0150"),
     {"records": [{"quantity": "power.reactive.total", "value": "1.50", "unit": "kvar", "period": None}]}),
    ("read reply 81H B650 power factor", 0x81, le("B650") + le("0950"),
     {"records": [{"quantity": "power_factor.total", "value": "0.950", "unit": "", "period": None}]}),
    ("read reply 81H C010 date", 0x81, le("C010") + le("26112301"),
     {"records": [{"quantity": "meter.date", "value": "2026-11-23", "unit": "", "period": None}]}),
    ("read reply 81H C011 time", 0x81, le("C011") + le("101112"),
     {"records": [{"quantity": "meter.time", "value": "10:11:12", "unit": "", "period": None}]}),
    ("read reply 81H C032 meter number", 0x81, le("C032") + le("000000654321"),
     {"records": [{"quantity": "meter.number", "value": "000000654321", "unit": "", "period": None}]}),
    ("read reply 81H A010 max demand", 0x81, le("A010") + le("012345"),
     {"records": [{"quantity": "demand.active.import.max.total", "value": "1.2345", "unit": "kW",
                   "period": None}]}),
    ("read follow-up 02H", 0x02, le("901F"), {"function": "read_follow_up", "di": "901F"}),
    ("reread 03H", 0x03, le("9010"), {"function": "reread", "di": "9010"}),
    ("write 04H", 0x04, le("C011") + bytes((0x02,)) + le("000000") + le("120000"),
     {"function": "write_data", "di": "C011"}),
    ("write reply 84H", 0x84, le("C011"), {"function": "write_data"}),
    ("write address 0AH", 0x0A, le("000000000777"),
     {"function": "write_address", "address_in_data": "000000000777"}),
    ("change baud 0CH", 0x0C, b"\x08", {"function": "change_baud", "baud": 2400}),
    ("read error C1H", 0xC1, b"\x02", {"function": "read_data",
                                        "error_bits": ["data_identifier_error"]}),
    ("write error C4H", 0xC4, b"\x04", {"function": "write_data",
                                         "error_bits": ["password_error"]}),
]


if __name__ == "__main__":
    path = Path(__file__).with_name("dlt645.json")
    path.write_text(json.dumps(vectors(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote %d vectors to %s" % (len(vectors()), path))
