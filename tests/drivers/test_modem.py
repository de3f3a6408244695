"""drivers.modem: the modem's CSQ from the file a board's modem script writes."""

import os

import pytest

from drivers.modem import bars, parse_csq, read_signal


@pytest.mark.parametrize("text, rssi", [
    ("+CSQ: 18,99\n", 18), ("+csq:7,0", 7), ("18,99", 18), ("31", 31), ("0,0\nOK\n", 0),
    ("+CSQ: 99,99", None), ("", None), ("garbage", None), ("+CSQ: 32,0", None),
    ("-5", None), ("18,99,7", None),
])
def test_parse_csq(text, rssi):
    assert parse_csq(text) == rssi


def test_bars_follow_the_usual_rssi_bands():
    assert [bars(r) for r in (None, 0, 1, 2, 9, 10, 14, 15, 19, 20, 31)] == \
        [None, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_read_signal_from_a_fresh_file(tmp_path):
    path = tmp_path / "csq"
    path.write_text("+CSQ: 16,99\n")
    now = os.stat(path).st_mtime + 10
    assert read_signal(str(path), now) == {"csq": 16, "signal": 3, "signal_error": None}


def test_missing_stale_or_unknown_signal_is_none_with_the_reason(tmp_path):
    path = tmp_path / "csq"
    got = read_signal(str(path), 0)
    assert got["signal"] is None and got["csq"] is None
    assert str(path) in got["signal_error"] and "No such file" in got["signal_error"]
    path.write_text("+CSQ: 20,99\n")
    mtime = os.stat(path).st_mtime
    got = read_signal(str(path), mtime + 301, max_age_s=300)
    assert got["signal"] is None and "301 s old (more than 300 s)" in got["signal_error"]
    path.write_text("+CSQ: 99,99\n")
    got = read_signal(str(path), os.stat(path).st_mtime)
    assert got["signal"] is None and "no signal" in got["signal_error"]
