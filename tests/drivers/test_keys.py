"""drivers.keys: input events written into a FIFO."""

import os
import struct
import threading

import pytest

from drivers.keys import NATIVE_SIZE, KeyDeviceError, KeyReader, encode

SYN = struct.pack("=qqHHi", 0, 0, 0, 0, 0)


def read_until(reader, n, timeout=10.0):
    """Events until there are ``n`` of them (waits on select, no sleeping)."""
    got = []
    while len(got) < n:
        events = reader.read(timeout)
        if not events:
            break
        got.extend(events)
    return got


@pytest.fixture
def fifo(tmp_path):
    path = str(tmp_path / "event0")
    os.mkfifo(path)
    return path


def write(path, data):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_press_release_repeat_from_fifo(fifo):
    with KeyReader(fifo, event_size=24) as r:
        assert r.read(0) == []
        write(fifo, encode(103, 1, event_size=24) + SYN + encode(103, 2, event_size=24)
              + encode(103, 0, event_size=24) + encode(28, 1, event_size=24)
              + encode(999, 1, event_size=24))
        got = read_until(r, 4)
    assert [(e.key, e.value) for e in got] == [("UP", 1), ("UP", 2), ("UP", 0), ("OK", 1)]
    assert [e.pressed for e in got] == [True, True, False, True]
    assert got[1].repeat


def test_32_bit_events_and_custom_keymap(fifo):
    with KeyReader(fifo, keymap={59: "OK", 60: "CANCEL"}, event_size=16) as r:
        write(fifo, encode(59, 1, event_size=16) + encode(60, 1, event_size=16)
              + encode(1, 1, event_size=16))
        got = read_until(r, 2)
    assert [(e.key, e.code) for e in got] == [("OK", 59), ("CANCEL", 60)]


def test_event_split_across_writes(fifo):
    data = encode(108, 1, event_size=24)
    with KeyReader(fifo, event_size=24) as r:
        write(fifo, data[:10])
        assert r.read(0.5) == []          # half an event: nothing yet
        write(fifo, data[10:])
        got = read_until(r, 1)
    assert [(e.key, e.value) for e in got] == [("DOWN", 1)]


def test_writer_in_another_thread(fifo):
    with KeyReader(fifo) as r:
        t = threading.Thread(target=write, args=(fifo, encode(105, 1) + encode(106, 1)))
        t.start()
        got = read_until(r, 2)
        t.join()
    assert [e.key for e in got] == ["LEFT", "RIGHT"]
    assert NATIVE_SIZE in (16, 24)


def test_timeout_returns_empty(fifo):
    with KeyReader(fifo) as r:
        assert r.read(0.05) == []


def test_missing_device_names_the_path():
    with pytest.raises(KeyDeviceError, match="/nonexistent/input/event7"):
        KeyReader("/nonexistent/input/event7")


def test_bad_event_size(fifo):
    with pytest.raises(KeyDeviceError, match="16 or 24"):
        KeyReader(fifo, event_size=20)
