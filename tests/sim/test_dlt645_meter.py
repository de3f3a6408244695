"""The simulated DL/T645-2007 meter answers as the codec expects and as the oracle says."""

import datetime

from drivers.clock import VirtualClock
from protocols.dlt645 import edition2007 as codec
from protocols.dlt645 import items
from protocols.core.deframer import frames_in
from protocols.core.num import Num
from protocols.dlt645.frame import Deframer
from sim.meters import Dlt645Meter
from sim.model_clock import epoch_of_local

ADDR = "000000000161"
H = 3600
TZ = 8 * H


def setup(**options):
    clk = VirtualClock(start=epoch_of_local(datetime.datetime(2026, 9, 21, 10, 20), TZ))
    return clk, Dlt645Meter(ADDR, clk, **options)


def ask(meter, frame):
    """Send a codec Frame, return the reply bytes (None for silence)."""
    raw = frames_in(Deframer(), frame.encode())[0]
    return meter.handle(raw)


def read(meter, di, address=ADDR):
    reply = ask(meter, codec.read(address, di))
    return codec.decode_dict(reply)


def values(meter, di):
    return dict((r["quantity"], r["value"]) for r in read(meter, di)["values"])


def test_energy_registers_equal_the_oracle_and_grow_per_profile():
    clk, m = setup(profile={"base": 1800}, initial="500.00")
    got = values(m, 0x0001FF00)
    for q, v in got.items():
        assert v == m.value(q)
    assert sum(got["energy.active.import.t%d" % k].m for k in range(1, 5)) == \
        got["energy.active.import.total"].m
    before = got["energy.active.import.total"]
    clk.advance(2 * H)                            # 1.8 kW for 2 h = 3.60 kWh
    assert values(m, 0x00010000)["energy.active.import.total"] == Num(before.m + 360, -2)
    reply = ask(m, codec.read(ADDR, 0x00010000))
    assert reply.startswith(b"\xFE\xFE\xFE\xFE\x68")
    assert m.counters["requests"] == m.counters["replies"] == 3


def test_every_table_di_reads_or_is_refused_with_02():
    clk, m = setup(phases=3)
    dis = [row[0] for row in items.SINGLE] + [row[0] for row in items.BLOCKS]
    dis += [0x00000000, 0x0002FF00, 0x0003FF03, 0x0008FF0C, 0x0101FF00, 0x0102FF01]
    refused = []
    for di in dis:
        d = read(m, di)
        if d["is_error"]:
            assert d["error_word"] == "0x02"
            refused.append("%08X" % di)
        else:
            assert d["values"]
    assert refused == ["00900100", "00900200"]          # a meter without prepayment


def test_instantaneous_values_match_the_oracle():
    clk, m = setup(phases=3)
    for di in (0x0201FF00, 0x0202FF00, 0x0203FF00, 0x0204FF00, 0x0205FF00, 0x0206FF00,
               0x02800002, 0x02800001):
        for q, v in values(m, di).items():
            assert v == m.value(q), q
    assert values(m, 0x04000101)["meter.date"] == "2026-09-21"
    assert values(m, 0x04000102)["meter.time"] == "10:20:00"
    assert values(m, 0x04000401)["meter.address"] == ADDR


def test_settlement_periods_are_the_monthly_frozen_values():
    clk, m = setup()
    for n in (1, 2, 12):
        b = m.boundary("monthly", n)
        frozen = m.frozen("monthly", b)
        got = values(m, 0x0001FF00 | n)
        for q, v in got.items():
            assert v == frozen[q]
    b1 = m.boundary("monthly", 1)
    assert b1 == epoch_of_local(datetime.datetime(2026, 9, 1), TZ)


def test_daily_and_hourly_freeze_records_equal_meter_frozen():
    clk, m = setup()
    clk.advance(3 * 86400 + 123)
    for n in (1, 2, 62):
        b = m.boundary("daily", n)
        frozen = m.frozen("daily", b)
        when = values(m, 0x05060000 | n)["freeze.time"]
        assert when == datetime.datetime.utcfromtimestamp(b + TZ).isoformat()
        for kk in (1, 2, 3, 4):
            for rec in read(m, 0x05060000 | kk << 8 | n)["values"]:
                assert rec["value"] == frozen[rec["quantity"]]
    for n in (1, 100, 254):
        b = m.boundary("hourly", n)
        recs = read(m, 0x0504FF00 | n)["values"]
        local = datetime.datetime.utcfromtimestamp(b + TZ)
        assert recs[0]["value"][11:16] == local.strftime("%H:%M")
        for rec in recs[1:]:
            assert rec["value"] == m.frozen("hourly", b)[rec["quantity"]]


def test_records_before_install_read_as_absent():
    clk, _ = setup()
    fresh = Dlt645Meter("000000000999", clk, installed=clk.time() - 2 * 86400 - 10)
    recs = read(fresh, 0x05060103, fresh.address)["values"]
    assert all(r["value"] is None for r in recs)
    assert fresh.frozen("daily", fresh.boundary("daily", 3)) is None
    assert read(fresh, 0x05060102, fresh.address)["values"][0]["value"] is not None


def test_wrong_address_broadcast_and_unknown_di():
    clk, m = setup()
    assert ask(m, codec.read("000000000162", 0x00010000)) is None
    assert ask(m, codec.read(codec.BROADCAST, 0x00010000)) is None
    d = read(m, 0x12345678)
    assert (d["control"], d["error_bits"]) == ("0xD1", ["no_requested_data"])
    # a wildcard read is answered with the real address
    assert read(m, 0x00010000, "AAAAAAAAAAAA")["address"] == ADDR


def test_read_address_only_to_a_matching_wildcard():
    clk, m = setup()
    d = codec.decode_dict(ask(m, codec.read_address()))
    assert (d["control"], d["address"], d["address_in_data"]) == ("0x93", ADDR, ADDR)
    # printed most significant pair first: "AAAAAAAAAA61" is wire 61 AA AA AA AA AA
    assert ask(m, codec.Frame("AAAAAAAAAA61", 0x13)) is not None
    assert ask(m, codec.Frame("AAAAAAAAAA62", 0x13)) is None
    assert ask(m, codec.Frame("0000AAAAAAAA", 0x13)) is not None
    assert ask(m, codec.Frame(ADDR, 0x13)) is None


def test_follow_up_frames_carry_the_rest_of_a_long_block():
    clk, m = setup(max_data=16)
    first = codec.decode(ask(m, codec.read(ADDR, 0x0001FF00)))
    assert first.control == 0xB1
    data = first.data[4:]
    seq = 1
    while True:
        f = codec.decode(ask(m, codec.read_follow_up(ADDR, 0x0001FF00, seq)))
        assert f.control in (0x92, 0xB2) and f.data[-1] == seq
        data += f.data[4:-1]
        if f.control == 0x92:
            break
        seq += 1
    recs = items.decode_items(0x0001FF00, data)
    assert [r["value"] for r in recs] == [m.value(r["quantity"]) for r in recs]
    assert len(recs) == 5
    assert codec.decode(ask(m, codec.read_follow_up(ADDR, 0x0001FF00, 9))).control == 0xD2


def test_write_time_needs_the_password():
    clk, m = setup(password="123456")
    bad = codec.write(ADDR, 0x04000102, bytes.fromhex("000030"), password="000000")
    d = codec.decode_dict(ask(m, bad))
    assert (d["control"], d["error_bits"]) == ("0xD4", ["password_error_or_unauthorised"])
    ok = codec.write(ADDR, 0x04000102, bytes((0x00, 0x30, 0x12)), password="123456")
    assert codec.decode_dict(ask(m, ok))["control"] == "0x94"
    assert m.value("meter.datetime") == "2026-09-21T12:30:00"
    date = codec.write(ADDR, 0x04000101, bytes((0x02, 0x01, 0x10, 0x26)), password="123456")
    assert codec.decode_dict(ask(m, date))["control"] == "0x94"
    assert m.value("meter.datetime") == "2026-10-01T12:30:00"


def test_broadcast_time_applies_within_5_minutes_once_per_day():
    clk, m = setup(clock_offset=-120)
    assert ask(m, codec.broadcast_time((2026, 9, 21, 10, 20, 0))) is None
    assert m.value("meter.datetime") == "2026-09-21T10:20:00"
    m.model.set_meter_time(clk.time() - 60)
    assert ask(m, codec.broadcast_time((2026, 9, 21, 10, 20, 0))) is None
    assert m.value("meter.datetime") == "2026-09-21T10:19:00"        # once a day
    other = Dlt645Meter("000000000200", clk, clock_offset=-600)
    assert ask(other, codec.broadcast_time((2026, 9, 21, 10, 20, 0))) is None
    assert other.value("meter.datetime") == "2026-09-21T10:10:00"    # 10 min off: refused
    assert (m.syncs, other.syncs) == ({"applied": 1, "refused": 1},
                                      {"applied": 0, "refused": 1})


def test_relay_trip_stops_consumption_and_shows_in_status_word_3():
    clk, m = setup(profile={"base": 1000})
    d = codec.decode_dict(ask(m, codec.relay_control(ADDR, "trip", password="111111")))
    assert (d["control"], d["error_word"]) == ("0xDC", "0x04")
    assert codec.decode_dict(ask(m, codec.relay_control(ADDR, "trip")))["control"] == "0x9C"
    word = values(m, 0x04000503)["meter.status.3"]
    assert codec.relay_state(word) == "open" and int(word, 16) & 0x40
    before = m.value("energy.active.import.total")
    clk.advance(H)
    assert values(m, 0x00010000)["energy.active.import.total"] == before
    assert values(m, 0x02030000)["power.active.total"] == Num(0)
    ask(m, codec.relay_control(ADDR, "close"))
    assert codec.relay_state(values(m, 0x04000503)["meter.status.3"]) == "closed"
    clk.advance(H)
    assert values(m, 0x00010000)["energy.active.import.total"].m == before.m + 100
    assert values(m, 0x1D000001)["count.relay_trip"] == Num(1)
    ask(m, codec.relay_control(ADDR, "keep_power_on"))
    assert codec.decode_dict(ask(m, codec.relay_control(ADDR, "trip")))["control"] == "0xDC"


def test_freeze_baud_and_instant_records():
    clk, m = setup()
    assert ask(m, codec.freeze()) is None                        # broadcast, immediate
    t1 = clk.time()
    clk.advance(H)
    d = codec.decode_dict(ask(m, codec.freeze(ADDR)))
    assert d["control"] == "0x96"
    recs = read(m, 0x05010102)["values"]
    assert [r["value"] for r in recs] == [m.model.value(r["quantity"], t1) for r in recs]
    assert values(m, 0x05010001)["freeze.time"] == "2026-09-21T11:20:00"
    d = codec.decode_dict(ask(m, codec.change_baud(ADDR, 9600)))
    assert (d["control"], d["baud"], m.baud) == ("0x97", 9600, 9600)
    d = codec.decode_dict(ask(m, codec.change_baud(ADDR, 19200)))
    assert (d["control"], m.baud) == ("0xD7", 9600)


def test_write_address_to_the_wildcard():
    clk, m = setup()
    d = codec.decode_dict(ask(m, codec.write_address("000000000777")))
    assert (d["control"], d["address"], m.address) == ("0x95", "000000000777", "000000000777")
    assert read(m, 0x00010000, "000000000777")["is_error"] is False
