"""The agent: everything assembled from the configuration, started and stopped.

Start: store, archive, parameters (the file's ``[params]`` applied where not
yet set), declared ``[[meter]]``s added, ports opened lazily by their
workers, the radio module, the engine (``power_up`` with the downtime), the
uplink (``state`` online), the control socket; then systemd READY=1.
Stop (SIGTERM/SIGINT): the workers finish the transaction on the wire, the
store commits, the uplink publishes ``state`` offline and disconnects.
Under systemd with ``WatchdogSec`` the agent pings the watchdog only while
everything makes progress (``stalled``): the scheduler alive, every bus idle
or finishing transactions (failing ones too) within ``progress_bound``
seconds, the uplink's loop turning within it.  A bus stuck in one
transaction stops the pings and systemd restarts the agent.
"""

import copy
import logging
import os
import socket
import threading

from drivers.clock import RealClock
from drivers.modem import read_signal
from drivers.port import Port
from drivers.radio import RadioModule
from drivers.transport import SerialTransport
from gateway import __version__
from gateway.auth.authority import Authority
from gateway.config import check_places, line_settings
from gateway.console.offline import CLOCK_OFFSET_KEY
from gateway.console.server import ControlServer, check_free
from gateway.ops.dispatch import Operations
from gateway.status import summary
from protocols.core import quantities
from scheduler.engine import Engine
from store import Archive
from store import Operators
from store import Params
from store import Store
from upstream.uplink import Uplink

log = logging.getLogger(__name__)
PROGRESS_BOUND = 90.0   # seconds without progress before the watchdog is no longer fed


NOTIFY_TIMEOUT = 0.5            # seconds a message to systemd may wait for room


def sd_notify(message):
    """systemd's notify protocol (no dependency): a datagram to $NOTIFY_SOCKET.
    Waits at most NOTIFY_TIMEOUT: with the receiver's queue still full the message
    is dropped (False), so that a watchdog ping or STOPPING=1 cannot hold up the
    agent's loop or stop."""
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return False
    if path.startswith("@"):
        path = "\0" + path[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            # never wait on a listener that does not read: the queue of a Unix datagram
            # socket is short (net.unix.max_dgram_qlen, often 10), and a blocked watchdog
            # ping or STOPPING=1 would hold the agent's main thread
            s.settimeout(NOTIFY_TIMEOUT)
            s.connect(path)
            s.sendall(message.encode())
        return True
    except OSError:
        return False


class Agent:
    def __init__(self, config, clock=None, transports=None):
        """``transports``: {port name: transport} to use instead of opening the
        configured devices (tests, the demo)."""
        self.cfg = config
        self.clock = clock or RealClock()
        self.transports = transports or {}
        self.started = None
        self.stopping = threading.Event()
        c = config.concentrator
        check_places(config)            # data_dir, the store file, the socket's place
        check_free(c["socket"])         # before touching any file of a running agent
        os.makedirs(c["data_dir"], exist_ok=True)
        self.upgrade = None             # the remote upgrade (docs/upgrade.md): [upgrade] prefix
        self.exit_code = 0
        if config.upgrade["prefix"]:
            from gateway.upgrade.hooks import UpgradeHooks
            self.upgrade = UpgradeHooks(config, self.clock, self._upgrade_event,
                                        self._upgrade_failed)
            self.upgrade.boot_check()   # before the store opens: a rollback may put it back
        self.params = Params(config.data_file("params.json"), quantity_unit=quantities.unit_of)
        self._apply_params()
        self.clock.tz_offset = int(self.params.get("time.tz_offset_min")) * 60
        self.store = Store(config.data_file("store.db"), synchronous=self.params.get("store.synchronous"))
        self._offset_saved = None
        if isinstance(self.clock, RealClock):
            # the correction the master station or the console made, kept over restarts
            self.clock.offset = self._offset_saved = float(
                self.store.get_state(CLOCK_OFFSET_KEY, 0.0) or 0.0)
        if self.upgrade:
            self.upgrade.raise_pending()
        self.archive = Archive(config.data_file("archive.json"), config.meter_rules(),
                               clock=self.clock)
        self._declared_meters()
        self.operators = Operators(config.data_file("operators.json"))
        self.auth = Authority(self.operators, self.store, self.params, self.clock, self.archive)
        self.ports = dict((p.name, self._port(p)) for p in config.ports)
        self.radio = None
        if config.radio:
            r = config.radio
            port = Port(r.name, self._transport(r.name, r.device, r.baud, r.parity, 1, False),
                        self.clock, line_settings_for_radio(r), frame_log=self._tracer(r))
            self.radio = (r.name, RadioModule(port, r.master_address, meter_timeout=r.meter_timeout,
                                              meter_retries=r.meter_retries))
        self.engine = Engine(self.clock, self.store, self.archive, self.params, self.ports,
                             self.radio)
        # MQTT's ops (the console-only ones left out); the console's below
        self.handlers = Operations(self.engine, self.store, self.archive, self.params, self.clock,
                                   __version__, self.clock.time(),
                                   uplink_status=self._uplink_status, on_restart=self.restart,
                                   upgrade=self.upgrade.context(
                                       self.upgrade_restart, config.data_file("store.db"))
                                   if self.upgrade else None, auth=self.auth)
        self.uplink = None
        self.cid, self.uplink_settings = self._from_params(config)
        if config.uplink.enabled:
            self.uplink = Uplink(self.uplink_settings, self.store, self.handlers, self.clock, __version__,
                                 stats=lambda: summary(self.engine, self.store, self.params),
                                 addresses=self._addresses, meters_count=self.archive.count,
                                 tz_offset=lambda: self.clock.tz_offset)
        self.console = self.handlers.console(self._info)
        self.control = ControlServer(c["socket"], self.console.call)
        self.lcd = self._lcd()
        self.restart_requested = False
        self.stopped = False
        self.progress_bound = PROGRESS_BOUND
        self._uplink_turns = None        # (forwarder passes, when they last changed)
        self._stalled = []

    # ----------------------------------------------------------- assembly
    def _apply_params(self):
        """The file's [params]: applied once (later changes made by the master
        station or the console are kept)."""
        wanted = dict((k, v) for k, v in self.cfg.params.items() if k not in self._applied())
        if wanted:
            self.params.set_many(wanted)
            self._applied(set(self.cfg.params))

    def _from_params(self, config):
        """(cid, uplink settings): the configuration's, with what the parameters
        terminal.address, uplink.host and uplink.port say instead (read here,
        at start: a change applies after a restart)."""
        settings = copy.copy(config.uplink)
        cid = self.params.get("terminal.address") or config.id
        if self.params.get("terminal.address"):
            settings.cid = cid
        settings.host = self.params.get("uplink.host") or settings.host
        settings.port = self.params.get("uplink.port") or settings.port
        if settings.enabled:
            settings.params = self.params
            settings.refresh()
        return cid, settings

    def _applied(self, keys=None):
        marker = self.cfg.data_file(".params-from-config")
        if keys is None:
            try:
                with open(marker) as f:
                    return set(f.read().split())
            except OSError:
                return set()
        with open(marker, "w") as f:
            f.write("\n".join(sorted(keys)))

    def _declared_meters(self):
        """The file's [[meter]]s not yet in the archive (by id or by address on
        their bus) are added; the archive, changed since by the console or the
        master station, wins over the file."""
        from store import address_key
        have = self.archive.list()
        ids = set(m["id"] for m in have)
        rules = self.archive.rules
        keys = set(address_key(m, rules) for m in have)
        new = [m for m in self.cfg.meters
               if m.get("id") not in ids and address_key(m, rules) not in keys]
        if new:
            self.archive.add(new, now=self.clock.time())
            log.info("added %d meter(s) declared in %s", len(new), self.cfg.path)

    def _transport(self, name, device, baud, parity, stopbits, rs485):
        if name in self.transports:
            return self.transports[name]
        return SerialTransport(device, baud, parity, 8, stopbits, rs485)

    def _port(self, p):
        s = line_settings(p)
        rs485 = None
        if p.rs485:
            rs485 = {"rts_level_for_tx": True, "rts_level_for_rx": False,
                     "delay_before_tx": p.rts_delay_before_tx, "delay_before_rx": p.rts_delay_before_rx}
        t = self._transport(p.name, p.device, s.baud, s.parity, s.stopbits, rs485)
        return Port(p.name, t, self.clock, s, frame_log=self._tracer(p))

    @staticmethod
    def _tracer(p):
        """The port's frame log (``trace = true``): one debug line per frame,
        TX and RX with the time since the request, under logger trace.<port>."""
        if not p.trace:
            return None
        tlog = logging.getLogger("trace." + p.name)

        def log_frames(port, trace):
            if not tlog.isEnabledFor(logging.DEBUG):
                return
            merged = []
            for direction, data, when in trace:       # rx arrives in chunks
                if merged and direction == "rx" and merged[-1][0] == "rx":
                    merged[-1][1] += data
                else:
                    merged.append([direction, bytearray(data), when])
            t0 = merged[0][2]
            for direction, data, when in merged:
                tlog.debug("%s %+.3f s %s", direction.upper(), when - t0,
                           bytes(data).hex(" ").upper())
        return log_frames

    def _lcd(self):
        """With [lcd]: the panel over the console's ops, its devices opened."""
        if self.cfg.lcd is None:
            return None
        from drivers.errors import DriverError
        from gateway.config import ConfigError
        from gateway.lcd.panel import open_panel
        try:
            panel, thread = open_panel(self.cfg.lcd, self.console.call, self.clock,
                                       authenticate=self.auth.lcd_operator)
        except DriverError as err:
            self.store.close()
            raise ConfigError("%s: [lcd]: %s" % (self.cfg.path, err), self.cfg.path)
        self.console.lcd = panel
        return thread

    def _addresses(self):
        """{meter id: address} for the uplink's batches (asked once a batch),
        rebuilt only when the archive's meter list changes."""
        meters = self.engine.archive_meters()
        cached = getattr(self, "_address_map", None)
        if cached is None or cached[0] is not meters:
            cached = self._address_map = (meters, dict((m["id"], m["address"]) for m in meters))
        return cached[1]

    def _uplink_status(self):
        out = self.uplink.status() if self.uplink else {"enabled": False}
        out.update(self._link_status())
        return out

    def _link_status(self):
        """The link under the uplink: the channel the configuration says, the
        modem's signal from its file (None where not known)."""
        link = self.cfg.link
        out = {"channel": link["channel"] or None, "csq": None, "signal": None}
        if link["signal_file"]:
            out.update(read_signal(link["signal_file"], self.clock.time(),
                                   link["signal_max_age_s"]))
        return out

    def _info(self):
        return {"cid": self.cid, "agent": "running",
                "uptime_s": int(self.clock.monotonic() - self.started)
                if self.started is not None else 0,
                "uplink": self._uplink_status()}

    def _save_clock_offset(self):
        if isinstance(self.clock, RealClock) and self.clock.offset != self._offset_saved:
            self.store.set_state(CLOCK_OFFSET_KEY, self.clock.offset)
            self._offset_saved = self.clock.offset

    # --------------------------------------------------------------- life
    def start(self):
        """Control socket first (it refuses when another agent runs), then the
        engine (``power_up``), the uplink, and READY=1 for systemd."""
        self.control.start()
        self.started = self.clock.monotonic()
        if self.upgrade:                # on probation: listen for the milestones
            self.upgrade.watch(self.engine, self.uplink.forwarder if self.uplink else None)
        self.engine.start()
        if self.uplink:
            self.uplink.start()
        if self.lcd:
            self.lcd.start()
        for problem in self.params.problems:
            log.warning("parameters: %s", problem)
        if not self.operators.count():
            log.warning("no operator exists: create the first super administrator on the board "
                        "with concentrator users init")
        if self.upgrade and self.upgrade.on_probation:
            self.upgrade.milestone("started")
        sd_notify("READY=1\nSTATUS=reading %d meters" % self.archive.count())
        log.info("agent %s started: %d port(s)%s, %d meter(s), uplink %s", self.cid,
                 len(self.ports), " and a radio" if self.radio else "", self.archive.count(),
                 "to %s:%d" % (self.uplink_settings.host, self.uplink_settings.port) if self.uplink
                 else "disabled")

    def stalled(self):
        """What makes no progress within ``progress_bound`` ([] = feed the
        watchdog): the engine's scheduler and buses, the uplink's loop."""
        out = self.engine.stalled(self.progress_bound)
        fwd = self.uplink.forwarder if self.uplink else None
        if fwd is not None:
            now = self.clock.monotonic()
            passes = fwd.passes
            if self._uplink_turns is None or self._uplink_turns[0] != passes:
                self._uplink_turns = (passes, now)
            elif now - self._uplink_turns[1] >= self.progress_bound:
                out.append("uplink")
        if out != self._stalled:
            if out:
                log.error("no progress for %d s: %s; the watchdog is no longer fed",
                          self.progress_bound, ", ".join(out))
            elif self._stalled:
                log.info("progress again: %s", ", ".join(self._stalled))
            self._stalled = out
        return out

    def run(self):
        """Run until ``stopping`` is set (the signal handlers set it); pings
        systemd's watchdog while everything makes progress (``stalled``)."""
        watchdog = int(os.environ.get("WATCHDOG_USEC", "0") or 0) / 1e6
        while not self.stopping.wait(watchdog / 2 if watchdog else 1.0):
            if watchdog and not self.stalled():
                sd_notify("WATCHDOG=1")
            self._save_clock_offset()
            if self.upgrade:
                self.upgrade.check(self.clock.monotonic())

    def stop(self):
        """The workers finish the transaction on the wire, the store commits,
        the uplink publishes ``state`` offline; idempotent."""
        if self.stopped:
            return
        self.stopped = True
        sd_notify("STOPPING=1")
        self.stopping.set()
        self.control.stop()
        if self.lcd:
            self.lcd.stop()
        if self.started is not None:
            self.engine.stop()
            if self.uplink:
                self.uplink.stop()
        self._save_clock_offset()
        for p in self.ports.values():
            p.close()
        if self.radio:
            self.radio[1].port.close()
        if self.started is not None:
            self.store.log("operation", self.clock.time(), "agent stopped")
        self.store.close()
        log.info("agent %s stopped", self.cfg.id)

    def restart(self):
        """The master station's ``reset restart``: stop; systemd starts us again."""
        self.restart_requested = True
        threading.Timer(1.0, self.stopping.set).start()
        return {"restarting": True}

    # ------------------------------------------------------------ upgrade
    def _upgrade_event(self, ts, detail, severity):
        self.store.put_event(ts, "upgrade", severity, None, detail)

    def _upgrade_failed(self):
        """The probation failed: exit non-zero, systemd restarts us into the
        boot check, which switches back."""
        from gateway.upgrade.hooks import EXIT_RESTART
        self.exit_code = EXIT_RESTART
        self.stopping.set()

    def upgrade_restart(self):
        """``upgrade.apply`` installed a new version: after the reply, exit
        non-zero so that systemd starts the new ``current`` (ExecStartPre's
        boot check first)."""
        from gateway.upgrade.hooks import EXIT_RESTART
        self.exit_code = EXIT_RESTART
        threading.Timer(1.0, self.stopping.set).start()


def line_settings_for_radio(r):
    from drivers.port import PortSettings
    return PortSettings(baud=r.baud, parity=r.parity, reply_timeout=2.0, byte_gap=0.2,
                        retries=1, silence=0.01)
