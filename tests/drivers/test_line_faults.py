"""Faults of the line itself: noise on the bus, a device gone (EIO), a TCP
converter that drops and comes back, a second program opening the port,
and a stop while a transaction is on the wire.

Real parts where they exist: pyserial on a pty pair or on a TCP server of
the simulator (sim.lines), the simulated meters behind them.  A transaction
that would hang runs in a thread with a generous wall-clock bound, so a
regression fails instead of hanging the suite.
"""

import os
import threading
import time

import pytest

from drivers.clock import RealClock, VirtualClock
from drivers.errors import (BadFrameError, PortClosedError, PortOpenError, PortStoppedError)
from drivers.meters import default_settings
from drivers.port import Port
from drivers.transport import SerialTransport
from protocols.dlt645 import edition2007 as dlt645
from protocols.dlt645.frame import Deframer
from sim.bus import Bus
from sim.lines import InProcessLine, PtyLine, TcpLine
from sim.meters import make_meter
from tests.drivers.bench_fixtures import T0

ADDRESS = "000000000161"
REQUEST = dlt645.read(ADDRESS, 0x00010000).encode()
BOUND = 30.0      # wall seconds: far above what any of these needs, far below "for good"


def bounded(fn, seconds=BOUND):
    """``fn()``'s result or exception; fails if it has not returned within ``seconds``."""
    out = {}

    def run():
        try:
            out["result"] = fn()
        except BaseException as err:      # handed to the test below
            out["error"] = err
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "still in the transaction after %s s" % seconds
    if "error" in out:
        raise out["error"]
    return out["result"]


def wait_for(cond, seconds=BOUND):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


def accept(frame):
    return None if dlt645.decode(frame).address == ADDRESS else "reply from another address"


def meter_bus():
    return Bus([make_meter("dlt645-2007", ADDRESS, VirtualClock(start=T0))],
               VirtualClock(start=T0))


def transact(port):
    return port.transact(REQUEST, Deframer(), accept, meter=ADDRESS)


# ------------------------------------------------------------------ noise
def test_noise_on_the_line_ends_each_attempt_at_the_frame_deadline_virtual_time():
    clock = VirtualClock(start=T0, auto=True)
    line = InProcessLine(meter_bus(), clock, baud=2400, pacing=True, name="bus1")
    line.engine.set_noise(240, clock.monotonic())
    port = Port("bus1", line, clock, default_settings("dlt645-2007", baud=2400))
    t0 = clock.monotonic()
    with pytest.raises(BadFrameError) as err:
        bounded(lambda: transact(port))
    spent = clock.monotonic() - t0
    s = port.settings
    deadline = s.frame_time(s.reply_timeout, s.byte_gap)
    assert str(err.value).startswith("noise: ")
    assert "bytes without a frame within %d ms" % round(deadline * 1000) in str(err.value)
    # three attempts, each at most the request's wire time plus the frame deadline (+ silence)
    assert spent <= 3 * (deadline + s.wire_time(len(REQUEST)) + s.silence) + 0.01
    c = port.counters.port
    assert c.frame_deadlines == 3 and c.noise_bytes > 100
    assert c.last_error.startswith("noise: ") and c.success_rate() == 0
    # the noise stops: the same port reads the meter again
    line.engine.set_noise(0, clock.monotonic())
    assert transact(port).frame


def test_noise_on_a_real_pty_is_bounded_counted_and_reported():
    clock = RealClock()
    line = PtyLine(meter_bus(), clock, baud=9600, pacing=True).start()
    line.engine.set_noise(240, clock.monotonic())
    port = Port("bus1", SerialTransport(line.path, 9600, "E"), clock,
                default_settings("dlt645-2007", baud=9600, reply_timeout=0.3, retries=1))
    try:
        with pytest.raises(BadFrameError) as err:
            bounded(lambda: transact(port))
        assert "noise: " in str(err.value) and "without a frame within" in str(err.value)
        snap = port.counters.port.snapshot()
        assert snap["frame_deadlines"] == 2 and snap["noise_bytes"] > 0
        assert snap["last_error"].startswith("noise: ")
        line.engine.set_noise(0, clock.monotonic())
        assert bounded(lambda: transact(port)).frame
    finally:
        port.close()
        line.stop()


# ----------------------------------------------------------- the line gone
def test_a_pty_that_disappears_is_a_port_fault_not_a_bug():
    clock = RealClock()
    line = PtyLine(meter_bus(), clock, baud=9600).start()
    port = Port("bus1", SerialTransport(line.path, 9600, "E"), clock,
                default_settings("dlt645-2007", baud=9600, reply_timeout=0.3, retries=0))
    try:
        assert transact(port).frame
        line.stop()                     # the master side closed: EIO on ours, like a USB pull
        with pytest.raises(PortClosedError) as err:
            bounded(lambda: transact(port))
        assert "Input/output error" in str(err.value) or "disconnected" in str(err.value)
        c = port.counters.port
        assert c.port_faults == 1 and c.last_error == str(err.value)
        assert not port.transport.is_open          # closed, to be opened again later
        # within the backoff: refused at once, saying when it tries again
        with pytest.raises(PortClosedError) as again:
            transact(port)
        assert "is down" in str(again.value) and "opened again in" in str(again.value)
        assert port.counters.port.requests == 2     # nothing more was sent
    finally:
        port.close()


def test_a_tcp_converter_that_drops_and_comes_back_is_reopened():
    clock = RealClock()
    line = TcpLine(meter_bus(), clock, baud=9600).start()
    tcp_port = line.port
    port = Port("bus1", SerialTransport(line.url, 9600, "E"), clock,
                default_settings("dlt645-2007", baud=9600, reply_timeout=0.3, retries=0))
    try:
        assert transact(port).frame
        line.stop()
        errors = []

        def fails():
            try:
                transact(port)
            except (PortClosedError, PortOpenError) as err:
                errors.append(err)
                return True
            except BadFrameError:
                return False
            except Exception:
                return False
            return False
        assert wait_for(fails)
        assert port.counters.port.port_faults >= 1
        line = TcpLine(meter_bus(), clock, baud=9600, port=tcp_port).start()

        def reads():
            try:
                return bool(transact(port).frame)
            except (PortClosedError, PortOpenError):
                return False
        assert wait_for(reads)
        c = port.counters.port
        assert c.reopens >= 1 and port.fault is None
    finally:
        port.close()
        line.stop()


def test_a_device_that_is_not_a_serial_port_is_a_counted_and_logged_fault(caplog):
    port = Port("bus1", SerialTransport("/dev/null", 2400, "E"), RealClock(),
                default_settings("dlt645-2007"))
    with pytest.raises(PortOpenError) as err:
        transact(port)
    assert "cannot open /dev/null" in str(err.value)
    c = port.counters.port
    assert c.port_faults == 1 and c.last_error == str(err.value)
    assert any("port bus1 fault: cannot open /dev/null" in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")


# ------------------------------------------------------------ one master
def test_a_second_program_cannot_open_a_port_the_agent_owns():
    clock = RealClock()
    line = PtyLine(meter_bus(), clock, baud=9600).start()
    first = SerialTransport(line.path, 9600, "E")
    try:
        first.open()
        second = SerialTransport(line.path, 9600, "E")
        with pytest.raises(PortOpenError) as err:
            second.open()
        assert "owned by another program, most likely the running agent" in str(err.value)
        assert "concentrator read" in str(err.value)
        assert not second.is_open
    finally:
        first.close()
        line.stop()


def test_probe_on_a_port_the_agent_owns_is_refused_with_the_way_through_the_agent():
    from click.testing import CliRunner
    from gateway.cli import cli
    clock = RealClock()
    line = PtyLine(meter_bus(), clock, baud=2400).start()
    agents = SerialTransport(line.path, 2400, "E")
    try:
        agents.open()
        r = CliRunner().invoke(cli, ["probe", line.path, "-p", "dlt645-2007", "-a", ADDRESS])
        assert r.exit_code != 0
        assert "owned by another program, most likely the running agent" in r.output
        assert line.engine.bytes_in == 0            # not one byte went on the bus
    finally:
        agents.close()
        line.stop()


# ------------------------------------------------------------------ stop
def test_interrupt_ends_a_transaction_on_a_chattering_line_at_once():
    clock = RealClock()
    line = PtyLine(meter_bus(), clock, baud=9600).start()
    line.engine.set_noise(240, clock.monotonic())
    # a frame deadline of an hour: only the interrupt can end this attempt
    port = Port("bus1", SerialTransport(line.path, 9600, "E"), clock,
                default_settings("dlt645-2007", baud=9600, reply_timeout=3600.0,
                                 frame_deadline=3600.0))
    result = {}

    def run():
        try:
            transact(port)
        except Exception as err:
            result["error"] = err
    t = threading.Thread(target=run, daemon=True)
    try:
        t.start()
        assert wait_for(lambda: port.counters.port.bytes_in > 0)   # on the wire
        port.interrupt()
        t.join(BOUND)
        assert not t.is_alive()
        assert isinstance(result["error"], PortStoppedError)
        with pytest.raises(PortStoppedError):
            transact(port)
    finally:
        port.close()
        line.stop()


def test_no_descriptor_is_left_by_faults_and_reopens():
    clock = RealClock()
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(3):
        test_a_pty_that_disappears_is_a_port_fault_not_a_bug()
    assert len(os.listdir("/proc/self/fd")) <= fds
    del clock
