"""M-Bus deframer: whole, halves, byte by byte, noise, bad frames, garbage."""

import random

from hypothesis import given, settings, strategies as st

from protocols.mbus import codec as mbus
from protocols.mbus.codec import Deframer
from tests.corpus import mbus_hex_files

LONG = bytes.fromhex("68 3C 3C 68 08 08 72 78 03 49 11 77 04 0E 16 0A 00 00 00 0C 78 78 03 49"
                     " 11 04 13 31 D4 00 00 42 6C 00 00 44 13 00 00 00 00 04 6D 0B 0B CD 13 02"
                     " 27 00 00 09 FD 0E 02 09 FD 0F 06 0F 00 01 75 13 D3 16")
SHORT = mbus.req_ud2(8, True)
CONTROL = mbus.set_baud(8, 9600)
ACK = b"\xE5"
FRAMES = (LONG, SHORT, CONTROL, ACK)
NOISE = bytes((0x00, 0xFF, 0xFE, 0xFE, 0x16, 0x42))  # no E5/10/68: they would be frames


def feed(data, sizes):
    d = Deframer()
    out = []
    pos = 0
    for n in sizes:
        out += d.feed(data[pos:pos + n])
        pos += n
    out += d.feed(data[pos:])
    return d, out


def test_each_frame_whole_halves_and_byte_by_byte():
    for frame in FRAMES:
        assert Deframer().feed(frame) == [frame]
        _, out = feed(frame, [len(frame) // 2])
        assert out == [frame]
        d, out = feed(frame, [1] * len(frame))
        assert out == [frame] and not d.need_more()


def test_partial_frame_needs_more():
    d = Deframer()
    assert d.feed(LONG[:30]) == [] and d.need_more()
    assert d.feed(LONG[30:]) == [LONG] and not d.need_more()


def test_noise_and_wake_up_bytes_before():
    d = Deframer()
    assert d.feed(NOISE + b"\xFE" * 13 + LONG) == [LONG]
    assert d.skipped == len(NOISE) + 13


def test_bad_checksum_then_good_frame():
    bad = LONG[:-2] + bytes((LONG[-2] ^ 0x55, 0x16))
    d = Deframer()
    out = d.feed(bad + SHORT + LONG)
    assert out[-2:] == [SHORT, LONG]
    assert d.rejected >= 1 and "checksum" in str(d.last_error)


def test_bad_short_frame_then_good():
    d = Deframer()
    assert d.feed(bytes.fromhex("107B017D16") + SHORT) == [SHORT]
    assert d.rejected == 1


def test_wrong_second_length_and_missing_stop():
    d = Deframer()
    assert d.feed(bytes.fromhex("68 3C 3D 68") + LONG) == [LONG]
    broken = LONG[:-1] + b"\x17"
    d = Deframer()
    assert d.feed(broken + LONG)[-1] == LONG


def test_frame_split_everywhere():
    stream = NOISE + LONG + SHORT + ACK + CONTROL
    for cut in range(1, len(stream)):
        _, out = feed(stream, [cut])
        assert out == [LONG, SHORT, ACK, CONTROL], cut


def test_every_corpus_telegram_comes_out_of_a_stream():
    frames = [bytes.fromhex("".join(t.split())) for _, t in mbus_hex_files("test-frames")]
    rng = random.Random(7)
    stream = b"".join(b"\xFE" * rng.randrange(4) + f for f in frames)
    d, out = feed(stream, [rng.randrange(1, 40) for _ in range(len(stream) // 20)])
    assert out == frames


def test_endless_garbage_keeps_the_buffer_bounded():
    rng = random.Random(1)
    d = Deframer()
    for _ in range(300):
        d.feed(bytes(rng.randrange(256) for _ in range(97)))
        assert len(d.pending()) <= Deframer.MAX_FRAME
    # a 68 L L 68 header that promises more than arrives is held, never more
    d = Deframer()
    d.feed(b"\x68\xFF\xFF\x68" + b"\x00" * 200)
    assert d.need_more() and len(d.pending()) <= Deframer.MAX_FRAME
    d.reset()
    assert d.feed(LONG) == [LONG]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FRAMES), min_size=1, max_size=6),
       st.lists(st.integers(1, 50), max_size=20))
def test_random_chunking_of_frames(frames, sizes):
    stream = b"".join(NOISE[:3] + f for f in frames)
    d, out = feed(stream, sizes)
    assert out == frames
    assert len(d.pending()) <= Deframer.MAX_FRAME


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(1, 64), max_size=20))
def test_random_bytes_only_codec_errors_and_bounded(data, sizes):
    d, out = feed(data, sizes)
    assert len(d.pending()) <= Deframer.MAX_FRAME
    for frame in out:
        mbus.parse_frame(frame)  # everything handed out is a valid frame
