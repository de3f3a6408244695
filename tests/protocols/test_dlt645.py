"""DL/T645-2007 and -1997 against the corpus and our own byte-by-byte vectors."""

from decimal import Decimal

import pytest

from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645 import edition1997 as dlt645_1997
from protocols.core.errors import CodecError
from protocols.core.num import Num, plain
from tests.corpus import own_vectors, vectors

CORPUS = vectors("dlt645/vectors.json") + vectors("dlt645/synthetic_vectors.json")
OWN = own_vectors("dlt645")
MODULES = {"dlt645-2007": dlt645, "dlt645-1997": dlt645_1997}
UNIT_NAMES = {"yuan": "CNY"}


def _dec(x):
    return None if x is None else Decimal(str(x))


def _iso(text):
    # the corpus writes "2015-10-09 00:00" or "... 10:22:51"; we write ISO with seconds
    text = text.replace(" ", "T")
    return text + ":00" if len(text) == 16 else text


def _ids(vs):
    return ["%d-%s" % (i, v["name"][:50]) for i, v in enumerate(vs)]


@pytest.mark.parametrize("v", CORPUS, ids=_ids(CORPUS))
def test_corpus_vector(v):
    mod = MODULES[v["protocol"]]
    e = v["expect"]
    frame = v["bytes"]
    if e.get("valid") is False:
        with pytest.raises(CodecError) as err:
            mod.decode_dict(frame)
        assert "baud code" in str(err.value) and "D5H" in str(err.value)
        return
    d = mod.decode_dict(frame)
    assert d["address"] == e["address"]
    assert d["control"] == e["control"]
    assert d["function"] == e["function"]
    assert d["data"] == e["data_after_minus_33"].upper()
    for ours, theirs in (("is_error", "is_error_response"), ("more", "follow_up_frames"),
                         ("length", "length")):
        if theirs in e:
            assert d[ours] == e[theirs], ours
    if "is_response" in e:
        assert (d["direction"] == "reply") == e["is_response"]
    if "checksum" in e:
        fe = e["preamble_fe_count"]
        assert frame[:fe] == b"\xfe" * fe
        assert frame[fe + 10 + e["length"]] == int(e["checksum"], 16)
    if "di" in e:
        assert d["di"] == e["di"]
    if "value" in e:
        (rec,) = d["values"]
        assert Decimal(str(rec["value"])) == _dec(e["value"])
        assert rec["unit"] == UNIT_NAMES.get(e["unit"], e["unit"])
    if "values" in e:
        got = [None if r["value"] is None else Decimal(str(r["value"])) for r in d["values"]]
        assert got == [_dec(x) for x in e["values"]]
        assert all(r["unit"] == e["unit"] for r in d["values"])
    if "date" in e:
        assert d["values"][0]["value"] == e["date"]
        assert d["values"][0]["weekday"] == e["weekday"]
    if "time" in e:
        assert d["values"][0]["value"] == e["time"]
    if "datetime" in e:
        got = d.get("datetime") or d["values"][0]["value"]
        assert got == _iso(e["datetime"])
    if "digits" in e:
        assert d["values"][0]["value"] == e["digits"]
    if "address_in_data" in e:
        assert d["address_in_data"] == e["address_in_data"]
    if "error_word" in e:
        assert d["error_word"] == e["error_word"]
        assert d["error_bits"] == e["error_bits"]
    if "error_bits_1997" in e:
        assert d["error_bits"] == e["error_bits_1997"]
    if "n1" in e:
        assert d["n1"] == e["n1"]
        assert d["password_level"] == e["password_level_pa"]
        assert d["password"] == e["password"]
        assert d["operator_code"] == e["operator_code"]
        assert d["command"] == {"1A": "trip", "1B": "close_permitted"}[e["n1"]]
    if "baud" in e:
        assert d["baud"] == e["baud"]
    if "broadcast" in e:
        assert d["broadcast"] == e["broadcast"]
    if "reply_expected" in e:
        assert d["reply_expected"] == e["reply_expected"]
    if "freeze" in e:
        assert d["freeze"] == e["freeze"]
    if "seq" in e:
        assert d["seq"] == e["seq"]


@pytest.mark.parametrize("v", OWN, ids=_ids(OWN))
def test_own_vector(v):
    mod = MODULES[v["protocol"]]
    e = v["expect"]
    d = plain(mod.decode_dict(v["bytes"]))
    for key in ("address", "control", "function", "di", "seq", "address_in_data", "error_word",
                "error_bits", "password_level", "password", "operator_code", "command",
                "deadline", "baud", "datetime", "freeze", "reply_expected", "new_password",
                "more", "value"):
        if key in e:
            assert d[key] == e[key], key
    if "records" in e:
        got = [{"quantity": r["quantity"], "value": r["value"], "unit": r["unit"],
                "period": r.get("period")} for r in d["values"]]
        assert got == e["records"]


def test_own_vectors_cover_every_control_code():
    controls = {int(v["expect"]["control"], 16) for v in OWN if v["protocol"] == "dlt645-2007"}
    for fn, _ in dlt645.FUNCTIONS:
        assert fn in controls, "no request vector for %02X" % fn
    for c in (0x91, 0xB1, 0x92, 0xB2, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B,
              0x9C, 0xD1, 0xD4, 0xD6, 0xD7, 0xDC):
        assert c in controls, "no reply vector for %02X" % c
    c97 = {int(v["expect"]["control"], 16) for v in OWN if v["protocol"] == "dlt645-1997"}
    for c in (0x01, 0x02, 0x03, 0x04, 0x0A, 0x0C, 0x81, 0x84, 0xC1, 0xC4):
        assert c in c97


def test_own_vectors_cover_every_single_identifier():
    covered = {v["expect"].get("di") for v in OWN}
    missing = []
    for row in dlt645.items.SINGLE:
        di = "%08X" % row[0]
        if di not in covered and row[1] not in {r["quantity"] for v in OWN
                                               for r in v["expect"].get("records", [])}:
            missing.append(di)
    # every quantity the table knows appears in a vector (directly or as a family member)
    assert len(missing) <= len(dlt645.items.SINGLE) // 2, missing


def test_values_of_fast_path_and_meter_error():
    frame = bytes.fromhex("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16")
    (rec,) = dlt645.values_of(frame)
    assert rec["value"] == Num(26, -2) and str(rec["value"]) == "0.26"
    err = bytes.fromhex("68 12 00 00 00 10 20 68 D1 01 35 19 16")
    with pytest.raises(dlt645.MeterError) as info:
        dlt645.values_of(err)
    assert info.value.names == ["no_requested_data"]


def test_relay_state_from_status_word_3():
    assert dlt645.relay_state("0010") == "open"
    assert dlt645.relay_state("0000") == "closed"


def test_non_bcd_address_is_rejected_with_offset():
    # the corpus notes a public vector with 3AH in its address: a corrupt frame
    body = bytes.fromhex("68 81 04 00 07 21 3A 68 11 04 33 33 34 33")
    frame = body + bytes((sum(body) & 0xFF, 0x16))
    with pytest.raises(CodecError) as err:
        dlt645.decode_dict(frame)
    assert "at byte 6" in str(err.value) and "3AH" in str(err.value)


def test_checksum_error_names_offset_and_both_values():
    good = bytearray.fromhex("68 61 01 00 00 00 00 68 91 08 33 33 34 33 59 33 33 33 8A 16")
    good[-2] = 0x8B
    with pytest.raises(CodecError) as err:
        dlt645.decode_dict(bytes(good))
    msg = str(err.value)
    assert "checksum" in msg and "byte 18" in msg and "8AH" in msg and "8BH" in msg


def test_unknown_identifier_keeps_raw_data():
    reply = dlt645.reply_read("000000000161", 0x04FFFF01, b"\x01\x02").encode(b"")
    d = dlt645.decode_dict(reply)
    assert d["values"] is None and d["raw"] == "0102"
    with pytest.raises(CodecError):
        dlt645.values_of(reply)


def _all_items_2007():
    out = list(dlt645.items.lookup(row[0]) for row in dlt645.items.SINGLE)
    for d2, _, _, _ in dlt645.items.ENERGY:
        for tariff in (0, 1, 4):
            for period in (0, 1, 12):
                out.append(dlt645.items.lookup((d2 << 16) | (tariff << 8) | period))
    for d2, _ in dlt645.items.DEMAND:
        out.append(dlt645.items.lookup(0x01000000 | (d2 << 16)))
    for d2, _, most in dlt645.items.FREEZES:
        out.append(dlt645.items.lookup(0x05000000 | (d2 << 16) | 1))
    out += dlt645.items.members(0x05060101, 20) + dlt645.items.members(0x0504FF01, 13)
    return out


def _all_items_1997():
    out = [dlt645_1997.lookup(row[0]) for row in dlt645_1997.SINGLE]
    for di in (0x9010, 0x9014, 0x9020, 0x9110, 0x9120, 0x9130, 0x9160, 0x9410, 0x9810, 0x9520,
               0xA010, 0xA020, 0xA410, 0xB010, 0xB020):
        out.append(dlt645_1997.lookup(di))
    return out


def test_every_identifier_has_a_canonical_quantity_with_the_same_unit():
    from protocols.core.quantities import unit_of
    for item in _all_items_2007() + _all_items_1997():
        assert item is not None
        assert unit_of(item.quantity) == item.unit, (hex(item.di), item.quantity, item.unit)


def test_a_frame_of_a_split_block_decodes_with_its_raw_data():
    # 040005FF (7 status words, 14 bytes) split over two frames: 12 + 2 bytes
    data = bytes(range(14))
    first = dlt645.reply_read("000000000161", 0x040005FF, data[:12], more=True).encode(b"")
    d = dlt645.decode_dict(first)
    assert d["more"] and d["partial"] and d["values"] is None and d["raw"] == data[:12].hex().upper()
    last = dlt645.reply_follow_up("000000000161", 0x040005FF, data[12:], 1).encode(b"")
    d = dlt645.decode_dict(last)
    assert d["seq"] == 1 and d["partial"]
    joined = dlt645.items.decode_items(0x040005FF, data)
    assert [r["quantity"] for r in joined][:2] == ["meter.status.1", "meter.status.2"]


def test_1997_write_reply_without_data_is_accepted():
    from protocols.dlt645.frame import Frame
    d = dlt645_1997.decode_dict(Frame("123456789012", 0x84, b"").encode(b""))
    assert d["function"] == "write_data" and d["length"] == 0
