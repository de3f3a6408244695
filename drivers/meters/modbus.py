"""Modbus RTU energy meters over a port, through minimalmodbus (registry session "modbus").

Reads: ``read(quantities)`` plans the register reads a register-map profile
(archive option ``profile``, ``protocols.modbus.profiles``) needs for the
named quantities (all of the map when None) and asks each block with 03H /
04H.  minimalmodbus builds each request and checks and unpacks each reply;
it talks to ``drivers.port_serial.PortSerial``, so every frame is one
``Port.transact``: paced, traced (``probe -v``, the frame log), counted
once per request and reply, and retried by the port's retries, the reply
accepted only from this slave and for this function (an exception reply
included).  The profile turns registers into exact values.  Modbus meters
keep no frozen history and no clock the concentrator reads.

``scan`` asks slave ids 1..247: any reply or exception reply counts.
"""

import minimalmodbus

from drivers.errors import (BadFrameError, MeterRefusedError, NoRecordError, NoReplyError,
                            NotSupportedError, WrongAddressError)
from drivers.meters.records import exact, linear
from drivers.port_serial import PortSerial
from protocols import registry
from protocols.modbus import profiles


def _accept(request, frame):
    """The reply must come from the slave asked and answer its function."""
    if frame[0] != request[0]:
        return "reply from slave %d" % frame[0]
    if frame[1] & 0x7F != request[1]:
        return "reply to function %02XH, not %02XH" % (frame[1] & 0x7F, request[1])
    return None


class ModbusSession:
    """One Modbus slave read through a register-map profile."""

    def __init__(self, port, row, address, profile="eastron-sdm120", overrides=(), max_gap=16):
        self.port = port
        self.row = row
        self.protocol = row.name
        self.address = str(address)
        self.slave = int(address)
        self.rows = profiles.profile(profile, overrides)
        self.max_gap = max_gap

    def _instrument(self):
        self.port.open()
        line = PortSerial(self.port, registry.deframer(self.row.name, "reply"), _accept,
                          meter=self.address)
        inst = minimalmodbus.Instrument(line, self.slave)
        inst.clear_buffers_before_each_transaction = True
        inst.handle_local_echo = False          # the port drops its echo itself
        inst.close_port_after_each_call = False
        return inst, line

    def _registers(self, inst, line, function, start, count):
        try:
            return inst.read_registers(start, count, functioncode=function)
        except minimalmodbus.NoResponseError as err:
            raise (line.error or NoReplyError(str(err), port=self.port.name,
                                              meter=self.address)) from err
        except minimalmodbus.SlaveReportedException as err:
            self.port.counters.add(self.address, "meter_errors")
            self.port.counters.error(self.address, str(err))
            raise MeterRefusedError("slave %d refused: %s" % (self.slave, err),
                                    reasons=[str(err)], port=self.port.name,
                                    meter=self.address) from err
        except (minimalmodbus.InvalidResponseError, minimalmodbus.MasterReportedException) as err:
            self.port.counters.add(self.address, "framing_errors")
            self.port.counters.error(self.address, str(err))
            raise BadFrameError("bad reply: %s" % err, port=self.port.name, meter=self.address,
                                hint="the slave's answer does not fit the request") from err

    def read(self, quantities=None, period=None):
        """Value records for the named quantities the map has (all of it when
        None); NotSupportedError when it has none of them."""
        if quantities:
            offered = set(r[0] for r in self.rows)
            have = [q for q in quantities if q in offered]
            if not have:
                raise NotSupportedError("the register map has none of %s" % ", ".join(quantities),
                                        port=self.port.name, meter=self.address)
            quantities = have
        plan = profiles.plan_reads(self.rows, quantities, max_gap=self.max_gap)
        with self.port.lock:
            inst, line = self._instrument()
            replies = [self._registers(inst, line, fn, start, count)
                       for fn, start, count, _ in plan]
        return exact(r for r in profiles.extract(plan, replies) if r.get("quantity"))

    def read_frozen(self, kind, n, boundary_iso, quantities):
        raise NoRecordError("Modbus meters keep no frozen values", meter=self.address)

    def read_clock(self):
        return None

    def clock_writable(self):
        return "not supported by %s" % self.protocol

    def set_clock(self, parts):
        raise NotSupportedError("Modbus meters keep no clock the concentrator sets",
                                port=self.port.name, meter=self.address)


SESSION = ModbusSession


def open_session(port, row, address, kind=None, **options):
    return ModbusSession(port, row, address, **options)


def probe_slave(port, row, slave, timeout=None):
    """True when something answers slave id ``slave`` (a reply or an exception)."""
    session = ModbusSession(port, row, slave, profile="generic")
    old = port.settings.reply_timeout, port.settings.retries
    try:
        if timeout is not None:
            port.settings.reply_timeout = timeout
        port.settings.retries = 0
        try:
            session.read()
            return True
        except MeterRefusedError:
            return True
        except (NoReplyError, BadFrameError, WrongAddressError):
            return False
    finally:
        port.settings.reply_timeout, port.settings.retries = old


def _fits(port, row, slave, name):
    """True when slave ``slave`` answers every register of profile ``name``."""
    try:
        ModbusSession(port, row, slave, profile=name).read()
        return True
    except (MeterRefusedError, NoReplyError, BadFrameError, WrongAddressError):
        return False


def detect_profile(port, row, slave):
    """The register map (protocols.modbus.profiles) slave ``slave`` answers in
    full, trying the richest maps first (a meter with phase B registers also
    answers a single-phase map's); None when none fits."""
    names = [n for n in profiles.names() if n != "generic"]
    names.sort(key=lambda n: -len(profiles.profile(n)))
    for name in names + ["generic"]:
        if _fits(port, row, slave, name):
            return name
    return None


def scan(port, row, progress=None, timeout=None, first=None, last=None, profile=True,
         **options):
    """Slave ids that answer (a reply or an exception reply), each with the
    register map it answers (``profile=False``: not looked for)."""
    first = row.scan["first"] if first is None else first
    last = row.scan["last"] if last is None else last
    result = linear(lambda a: probe_slave(port, row, a, timeout), first, last, progress)
    old = port.settings.retries
    port.settings.retries = 0
    try:
        for a in result.found:
            name = detect_profile(port, row, int(a)) if profile else None
            result.add_meter(a, row.name, row.kinds[0], {"profile": name} if name else None)
    finally:
        port.settings.retries = old
    return result
