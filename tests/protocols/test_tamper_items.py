"""Tamper evidence in the codecs (issue 17): DL/T645-2007 counters and run
status word flags, the M-Bus status byte's power-low bit as ``battery.low``."""

from protocols.core.quantities import TAMPER, unit_of
from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645 import items
from protocols.mbus.header import status_bits, status_records

ADDR = "000000000001"


def read_reply(di, data):
    """The values of a read reply frame for ``di`` carrying ``data`` (before +33H)."""
    return dlt645.values_of(dlt645.reply_read(ADDR, di, data).encode())


def test_every_tamper_quantity_is_a_quantity():
    assert all(unit_of(q) == "" for q, _ in TAMPER)
    assert set(kind for _, kind in TAMPER) == {"count", "flag", "last"}


def test_dlt645_tamper_counters():
    for di, q in ((0x03300D00, "count.cover_open"), (0x03300E00, "count.terminal_cover_open"),
                  (0x03350000, "count.magnetic")):
        assert dlt645.di_for(q) == di
        (rec,) = read_reply(di, bytes.fromhex("120000"))     # 000012, least significant first
        assert rec["quantity"] == q and str(rec["value"]) == "12"


def test_dlt645_tamper_flags_come_from_the_status_words():
    for q in ("tamper.cover", "tamper.terminal_cover", "tamper.reverse_power"):
        assert dlt645.di_for(q) == items.STATUS_BLOCK          # one read for all of them
    words = [0x0010, 0, 0, 0, 0, 0, 0x0200]                  # word 1 bit 4, word 7 bit 9
    data = b"".join(w.to_bytes(2, "little") for w in words)
    recs = read_reply(items.STATUS_BLOCK, data)
    assert [r["quantity"] for r in recs] == ["meter.status.%d" % n for n in range(1, 8)]
    flags = dict((r["quantity"], r["value"]) for r in items.flag_records(recs))
    assert flags == {"tamper.reverse_power": True, "tamper.cover": True,
                     "tamper.terminal_cover": False}
    assert items.flag_records([{"quantity": "voltage.a", "value": "220.0"}]) == []


def test_mbus_power_low_is_battery_low():
    assert status_records({"status_bits": status_bits(0x04)}) == [
        {"name": "status_power_low", "quantity": "battery.low", "value": True, "unit": ""}]
    assert status_records({"status_bits": status_bits(0x00)})[0]["value"] is False
    assert status_records({"status_bits": None}) == [] == status_records(None)


def bcd_time(text):
    """YYMMDDhhmmss as the wire has it (least significant byte first)."""
    return bytes(reversed(bytes.fromhex(text)))


def test_dlt645_event_records_give_the_last_start_and_end():
    head = bcd_time("261101093000") + bcd_time("261101094512")
    for di, q in ((0x03300D01, "tamper.cover.last"), (0x03300E01, "tamper.terminal_cover.last"),
                  (0x03350001, "tamper.magnetic.last")):
        assert dlt645.di_for(q) == di
        for data in (head, head + bytes(48)):               # the head alone, or the standard's 60
            (rec,) = read_reply(di, data)
            assert rec["quantity"] == q
            assert (rec["value"], rec["time"]) == ("2026-11-01T09:30:00", "2026-11-01T09:45:12")
    (rec,) = read_reply(0x03300D01, bcd_time("261101093000") + bytes(6))   # still open
    assert (rec["value"], rec["time"]) == ("2026-11-01T09:30:00", None)
    (rec,) = read_reply(0x03300D01, b"\xff" * 12)                          # never opened
    assert rec["value"] is None and rec.get("time") is None
