"""Reading Modbus RTU energy meters through minimalmodbus on our Port.

minimalmodbus does the RTU exchange on the port's pyserial object (so a
device path, ``socket://`` converter, pty or the simulator's in-process line
all work); the register maps and the exact value conversion are
``protocols.modbus_profiles``.  The port's lock makes the Modbus exchange one
transaction like any other, and its counters see every request, reply,
timeout, CRC error and exception reply.
"""

import minimalmodbus

from drivers.errors import BadFrameError, MeterRefusedError, NoReplyError, NotSupportedError
from protocols.modbus import profiles


class ModbusReader:
    """One Modbus slave read through a register-map profile."""

    protocol = "modbus"

    def __init__(self, port, address, profile="eastron-sdm120", overrides=(), max_gap=16):
        self.port = port
        self.address = str(address)
        self.slave = int(address)
        self.rows = profiles.profile(profile, overrides)
        self.max_gap = max_gap

    def _instrument(self):
        self.port.open()
        inst = minimalmodbus.Instrument(self.port.transport.serial, self.slave)
        inst.clear_buffers_before_each_transaction = True
        inst.handle_local_echo = bool(self.port.settings.echo)
        inst.close_port_after_each_call = False
        inst.serial.timeout = self.port.settings.reply_timeout
        return inst

    def _registers(self, inst, function, start, count):
        s = self.port.settings
        counters = self.port.counters
        last = None
        for attempt in range(1 + s.retries):
            if attempt:
                counters.add(self.address, "retries")
            counters.add(self.address, "requests")
            counters.add(self.address, "bytes_out", 8)
            try:
                regs = inst.read_registers(start, count, functioncode=function)
            except minimalmodbus.NoResponseError as err:
                counters.add(self.address, "timeouts")
                last = NoReplyError("no reply within %d ms after %d retries" %
                                    (round(s.reply_timeout * 1000), s.retries), port=self.port.name,
                                    meter=self.address,
                                    hint="check the slave id, baud rate/parity and wiring")
                last.__cause__ = err
                continue
            except minimalmodbus.SlaveReportedException as err:
                counters.add(self.address, "meter_errors")
                counters.error(self.address, str(err))
                raise MeterRefusedError("slave %d refused: %s" % (self.slave, err),
                                        reasons=[str(err)], port=self.port.name,
                                        meter=self.address) from err
            except (minimalmodbus.InvalidResponseError, minimalmodbus.MasterReportedException) as err:
                counters.add(self.address, "checksum_errors")
                last = BadFrameError("bad reply: %s" % err, port=self.port.name, meter=self.address,
                                     hint="noise or a collision: check wiring and termination")
                last.__cause__ = err
                continue
            counters.add(self.address, "replies")
            counters.add(self.address, "bytes_in", 5 + 2 * count)
            counters.port.ok(self.port.clock.time())
            return regs
        counters.error(self.address, str(last))
        raise last

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
            inst = self._instrument()
            replies = [self._registers(inst, fn, start, count) for fn, start, count, _ in plan]
        return [r for r in profiles.extract(plan, replies) if r.get("quantity")]


def probe_slave(port, slave, timeout=None):
    """True when something answers slave id ``slave`` (a reply or an exception)."""
    reader = ModbusReader(port, slave, profile="generic")
    old = port.settings.reply_timeout, port.settings.retries
    try:
        if timeout is not None:
            port.settings.reply_timeout = timeout
        port.settings.retries = 0
        try:
            reader.read()
            return True
        except MeterRefusedError:
            return True
        except (NoReplyError, BadFrameError):
            return False
    finally:
        port.settings.reply_timeout, port.settings.retries = old
