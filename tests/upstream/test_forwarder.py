"""The forwarder without a broker: woken by commits, no idle write transactions,
ack timeouts and uptime on the injected (virtual) clock, batches built in few queries."""

import contextlib
import threading
import time
from decimal import Decimal

import pytest

from drivers.clock import VirtualClock
from store import Store
from upstream import jsonexact
from upstream.forwarder import Forwarder
from upstream.payload import PayloadBuilder, decode
from upstream.settings import UplinkSettings
from upstream.uplink import Uplink

T = 1795017600   # 2026-11-20 00:00 local


class FakeSession:
    """The forwarder's view of the MQTT session: always up, publishes into a list."""

    def __init__(self):
        self.up = True
        self.generation = 1
        self.sent = []             # (mid, topic, payload)
        self.lock = threading.Lock()

    def publish(self, topic, payload, qos=1, content_type=None, response=None):
        with self.lock:
            mid = len(self.sent) + 1
            self.sent.append((mid, topic, bytes(payload)))
            return mid


def wait_for(condition, timeout=10.0):
    """True as soon as ``condition()`` holds (the timeout only stops a broken test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def reading(meter="m-0001", ts=T, value="12345.67", q="energy.active.import.total"):
    return {"meter": meter, "q": q, "unit": "kWh", "kind": "daily", "ts": ts,
            "value": Decimal(value), "src": "meter"}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.db", synchronous="normal")
    yield s
    s.close()


def count_writes(monkeypatch, store):
    """Wrap Store.write: the returned list grows by one per write transaction."""
    opened = []
    original = store.write

    @contextlib.contextmanager
    def counting():
        opened.append(threading.current_thread().name)
        with original() as c:
            yield c
    monkeypatch.setattr(store, "write", counting)
    return opened


def make(store, clock=None, **settings):
    clock = clock or VirtualClock(start=T)
    session = FakeSession()
    s = UplinkSettings(**dict({"cid": "c01"}, **settings))
    builder = PayloadBuilder(s, addresses={"m-0001": "000000000001"})
    fwd = Forwarder(s, store, session, builder, clock)
    return fwd, session, clock


def one_pass(fwd):
    """Wake the forwarder thread and wait until it has done a whole pass."""
    done = fwd.passes
    fwd.poke()
    assert wait_for(lambda: fwd.passes > done)


def test_with_nothing_to_send_no_pass_opens_a_write_transaction(store, monkeypatch):
    fwd, session, _ = make(store)
    writes = count_writes(monkeypatch, store)
    for _ in range(50):
        fwd.step()
    fwd.start()
    try:
        for _ in range(20):
            one_pass(fwd)
    finally:
        fwd.stop()
    assert writes == [] and session.sent == []


def test_a_committed_reading_wakes_the_forwarder(store):
    fwd, session, _ = make(store)
    store.on_commit(fwd.poke)
    fwd.start()
    try:
        assert wait_for(lambda: fwd.passes >= 1)
        idle = fwd.passes
        store.put_readings([reading()])                  # the commit is the only news
        assert wait_for(lambda: len(session.sent) == 1)
        assert fwd.passes <= idle + 2                    # woken, not polling
        body = decode(session.sent[0][2])
        assert body["records"][0]["value"] == Decimal("12345.67")
        assert body["records"][0]["addr"] == "000000000001"
    finally:
        fwd.stop()


def test_on_commit_listeners_hear_only_commits_that_queue_records(store):
    heard = []
    remove = store.on_commit(lambda: heard.append(1))
    store.set_state("x", 1)                              # no outbox row
    store.put_readings([reading()])
    store.put_readings([reading()])                      # already stored: nothing queued
    store.put_event(T, "power_up", "info")
    assert len(heard) == 2
    remove()
    store.put_readings([reading(ts=T + 86400)])
    assert len(heard) == 2


def test_an_ack_timeout_is_driven_by_the_virtual_clock(store):
    fwd, session, clock = make(store, ack="master", ack_timeout=60)
    store.on_commit(fwd.poke)
    fwd.start()
    try:
        store.put_readings([reading()])
        assert wait_for(lambda: len(session.sent) == 1)
        clock.advance(59)                                # not late yet
        one_pass(fwd)
        assert len(session.sent) == 1
        clock.advance(2)                                 # late: the same batch goes again
        assert wait_for(lambda: len(session.sent) == 2)
        assert session.sent[1][1:] == session.sent[0][1:]
        assert fwd.counters["resent"] == 1
        seq = decode(session.sent[0][2])["seq"]
        fwd.master_ack({"upto": seq})
        assert wait_for(lambda: store.batch_backlog()[:2] == (0, 0))
        clock.advance(600)                               # acknowledged: never again
        one_pass(fwd)
        assert len(session.sent) == 2 and not fwd.inflight
    finally:
        fwd.stop()


def test_a_batch_is_read_in_one_query_not_one_per_record(store):
    store.put_readings([reading("m-%04d" % i) for i in range(1, 201)])
    store.put_event(T, "power_up", "info")
    statements = []
    store.connect().set_trace_callback(statements.append)
    builder = PayloadBuilder(UplinkSettings(cid="c01"))
    seq, _, payload, n = store.batch_next(200, builder.build, T)
    assert n == 200 and len(decode(payload)["records"]) == 200
    assert len([s for s in statements if "FROM r_daily" in s]) == 1
    del statements[:]
    seq, topic, payload, n = store.batch_next(200, builder.build, T)
    assert n == 1 and topic.endswith("/event")
    assert len([s for s in statements if "FROM events" in s]) == 1
    assert store.batch_next(200, builder.build, T) is None


def test_addresses_are_looked_up_in_a_mapping_asked_once_per_batch():
    asked = []

    def addresses():
        asked.append(1)
        return {"m-0001": "000000000001"}

    b = PayloadBuilder(UplinkSettings(cid="c01"), addresses=addresses)
    records = [dict(reading(), meter=m) for m in ("m-0001", "m-0002", "m-0001")]
    _, payload = b.build("daily", 7, records)
    assert [r["addr"] for r in decode(payload)["records"]] == ["000000000001", None, "000000000001"]
    assert asked == [1]


def test_decimal_digits_go_to_json_exactly_and_other_number_types_are_refused():
    assert jsonexact.dumps({"v": Decimal("4396.60"), "n": 3}) == '{"v":4396.60,"n":3}'

    class Num:                      # a codec number that was not converted
        m, e = 439660, -2

    with pytest.raises(TypeError, match="Num"):
        jsonexact.dumps({"v": Num()})


def test_uptime_is_counted_on_the_injected_clock(store):
    clock = VirtualClock(start=T)

    class NoCommands:
        def ops(self):
            return {"ping"}

    up = Uplink(UplinkSettings(cid="c01"), store, NoCommands(), clock, "test")
    clock.advance(3600)
    assert up.status_payload()["uptime_s"] == 3600


def test_a_caller_that_knows_a_type_converts_it_through_default():
    class Num:
        m, e = 439660, -2

    def exact(value):
        return Decimal(value.m).scaleb(value.e) if isinstance(value, Num) else value

    assert jsonexact.dumps([Num(), {"a": Num()}], default=exact) == '[4396.60,{"a":4396.60}]'
    with pytest.raises(TypeError, match="object"):
        jsonexact.dumps({"v": object()}, default=exact)     # returned unchanged: refused


def test_switching_from_master_to_broker_acks_lets_go_of_what_the_broker_has(store):
    fwd, session, _ = make(store, ack="master", ack_timeout=600)
    store.put_readings([reading()])
    fwd.step()
    (mid1, _, _), = session.sent
    fwd.published(mid1)                                  # PUBACK: now waiting for the master
    fwd.step()
    assert store.batch_backlog()[1] == 1 and fwd.inflight
    store.put_readings([reading(ts=T + 86400)])
    fwd.step()                                           # a second batch, no PUBACK yet
    assert len(session.sent) == 2
    fwd.s.ack = "broker"                                 # params set uplink.ack=broker
    fwd.step()
    assert store.batch_backlog()[1] == 1                 # the first is done, the second waits
    fwd.published(session.sent[1][0])                    # for its PUBACK
    fwd.step()
    assert store.batch_backlog()[:2] == (0, 0) and not fwd.inflight
    assert fwd.counters["batches_acked"] == 2
