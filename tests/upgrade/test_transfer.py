import hashlib
import os
from collections import namedtuple

import pytest

from gateway.upgrade.transfer import TransferError, Transfers, ranges

Usage = namedtuple("Usage", "total used free")
CHUNK = 1024


def blob(n=10 * CHUNK + 300):
    return bytes((i * 7 + i // 251) & 0xFF for i in range(n))


def chunks(data, size=CHUNK):
    return [data[i:i + size] for i in range(0, len(data), size)]


def begin(t, data, tid="t1", chunk=CHUNK):
    return t.begin(tid, "1.2.0", len(data), hashlib.sha256(data).hexdigest(), chunk)


def test_ranges():
    assert ranges([]) == []
    assert ranges([0, 1, 2, 5, 7, 8]) == [[0, 2], [5, 5], [7, 8]]


def test_a_cut_transfer_resumes_from_the_missing_chunks_only(tmp_path):
    data = blob()
    parts = chunks(data)                 # 11 chunks, the last one short
    t = Transfers(str(tmp_path))
    assert begin(t, data) == {"transfer": "t1", "have": []}
    sent = []
    for i in range(0, 6):                # the link drops halfway
        assert t.put_chunk("t1", i, parts[i])
        sent.append(i)
    st = t.status("t1")
    assert st["received"] == 6 and st["missing"] == [[6, 10]] and st["state"] == "receiving"
    # both sides restart: a new Transfers on the same directory
    t2 = Transfers(str(tmp_path))
    again = begin(t2, data)
    assert again["have"] == [[0, 5]]
    missing = [i for a, b in t2.status("t1")["missing"] for i in range(a, b + 1)]
    assert missing == [6, 7, 8, 9, 10]
    for i in missing:
        assert t2.put_chunk("t1", i, parts[i])
        sent.append(i)
    assert sorted(sent) == list(range(11)) and len(sent) == 11     # nothing sent twice
    assert t2.status("t1")["state"] == "complete"
    path = t2.assemble("t1")
    assert open(path, "rb").read() == data
    assert t2.status("t1")["state"] == "verified"
    assert begin(t2, data)["have"] == [[0, 10]]


def test_holes_are_reported_as_inclusive_ranges(tmp_path):
    data = blob()
    parts = chunks(data)
    t = Transfers(str(tmp_path))
    begin(t, data)
    for i in (0, 1, 4, 10):
        t.put_chunk("t1", i, parts[i])
    st = t.status("t1")
    assert st["missing"] == [[2, 3], [5, 9]] and st["received"] == 4
    with pytest.raises(TransferError) as err:
        t.assemble("t1")
    assert err.value.code == "busy"


def test_bad_chunks_are_dropped_and_counted(tmp_path):
    data = blob()
    parts = chunks(data)
    t = Transfers(str(tmp_path))
    begin(t, data)
    assert not t.put_chunk("t1", 0, parts[0][:-1])          # wrong size
    assert not t.put_chunk("t1", 10, parts[0])              # the last chunk is short
    assert not t.put_chunk("t1", 11, parts[0])              # outside the package
    assert not t.put_chunk("t1", -1, parts[0])
    assert not t.put_chunk("nope", 0, parts[0])             # no such transfer
    assert not t.put_chunk("../x", 0, parts[0])
    assert t.put_chunk("t1", 3, parts[3]) and t.put_chunk("t1", 3, parts[3])
    st = t.status("t1")
    assert st["dropped"] == 4 and st["duplicates"] == 1 and st["received"] == 1
    assert t.dropped_unknown == 2


def test_a_corrupt_package_is_not_assembled(tmp_path):
    data = blob()
    parts = chunks(data)
    t = Transfers(str(tmp_path))
    begin(t, data)
    for i, p in enumerate(parts):
        t.put_chunk("t1", i, p if i != 4 else bytes(len(p)))
    with pytest.raises(TransferError) as err:
        t.assemble("t1")
    assert err.value.code == "bad_request" and "sha256" in err.value.message
    st = t.status("t1")
    assert st["received"] == 0 and st["missing"] == [[0, 10]] and "sha256" in st["error"]


@pytest.mark.parametrize("args,field", [
    (("bad id!", "1.0", 10, "0" * 64, 1024), "transfer"),
    (("x" * 33, "1.0", 10, "0" * 64, 1024), "transfer"),
    (("t", "1.0rc", 10, "0" * 64, 1024), "version"),
    (("t", "1.0", 0, "0" * 64, 1024), "size"),
    (("t", "1.0", "10", "0" * 64, 1024), "size"),
    (("t", "1.0", 10, "abc", 1024), "sha256"),
    (("t", "1.0", 10, "0" * 64, 1023), "chunk"),
    (("t", "1.0", 10, "0" * 64, 65537), "chunk")])
def test_begin_checks_its_arguments(tmp_path, args, field):
    with pytest.raises(TransferError) as err:
        Transfers(str(tmp_path)).begin(*args)
    assert err.value.code == "bad_request" and err.value.message.startswith(field)


def test_begin_with_other_arguments_and_abort(tmp_path):
    data = blob()
    t = Transfers(str(tmp_path))
    begin(t, data)
    with pytest.raises(TransferError, match="abort it first"):
        begin(t, data + b"x")
    assert t.abort("t1") is True and t.abort("t1") is False
    assert os.listdir(str(tmp_path)) == []
    with pytest.raises(TransferError, match="no transfer"):
        t.status("t1")
    assert begin(t, data + b"x")["have"] == []


def test_limits_on_the_board(tmp_path):
    data = blob()
    t = Transfers(str(tmp_path), disk_usage=lambda p: Usage(100, 100, 1000))
    with pytest.raises(TransferError, match="do not fit"):
        begin(t, data)
    t = Transfers(str(tmp_path))
    begin(t, data, "a")
    begin(t, data, "b")
    with pytest.raises(TransferError) as err:
        begin(t, data, "c")
    assert err.value.code == "busy"
