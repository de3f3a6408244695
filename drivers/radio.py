"""The micro-power radio module on its UART, spoken to in Q/GDW 1376.2.

``RadioModule`` is the concentrator's side of the link: query the module,
set the master-node address, keep the module's slave-node table equal to the
archive's radio meters (``sync_nodes``), and read a meter by forwarding its
DL/T645 or CJ/T188 frame in AFN 13H F1 (concentrator-led reading), pausing
the module's own routing around point reads as Q/GDW test benches do.

The protocol type code of each node comes from the registry
(``row.radio_type``); a protocol without one is not carried by the module.

``RadioChannel`` makes one radio meter look like a Port to the meter
sessions (``drivers.meters``): ``transact`` wraps the
request in 13H F1 and hands the meter's reply, unwrapped, to the same
deframer and acceptance check as on a wire, with the radio's longer
timeouts.  Frames the module sends on its own (06H reports, 14H requests)
are confirmed or answered and counted, never taken for a reply.  A radio
meter's broadcast (DL/T645 time sync 08H, freeze 16H) goes out through the
module's broadcast, AFN 05H F3 (``RadioModule.broadcast``, ``broadcast_line``).
"""

import threading

from drivers.counters import CounterSet
from drivers.errors import DriverError, NoReplyError, NotSupportedError
from drivers.port import Exchange, PortSettings
from protocols import registry
from protocols.gdw1376_2 import codec as gdw
from protocols.gdw1376_2 import build
from protocols.core.errors import CodecError

NODE_PAGE = 16          # nodes per 10H F2 query / 11H F1 add
BROADCAST_NODE = "999999999999"


def broadcast_line(bus, protocol):
    """Where a broadcast to ``protocol`` meters on ``bus`` goes: the port itself,
    or for the radio module its 05H F3 broadcast."""
    return bus.broadcaster(protocol) if isinstance(bus, RadioModule) else bus


def protocol_type(protocol):
    """The 1376.2 protocol type code of a meter protocol (registry ``radio_type``)."""
    code = registry.get(protocol).radio_type
    if code is None:
        raise NotSupportedError("%s meters are not read through the radio module" % protocol)
    return code


def node_address(meter_address):
    """The 6-byte node address of a meter: its lowest 12 digits (a CJ/T188
    address has 14; the module table and AFN 13H carry 6 bytes)."""
    text = str(meter_address)
    return text[-12:].rjust(12, "0")


class RadioError(DriverError):
    """The module refused (00H F2 deny) or answered nonsense."""


class RadioModule:
    """The concentrator's end of the 1376.2 link."""

    def __init__(self, port, master_address="000000000001", pause_for_reads=True,
                 meter_timeout=3.0, meter_retries=1):
        self.port = port
        self.master_address = master_address
        self.pause_for_reads = pause_for_reads
        self.meter_timeout = meter_timeout
        self.meter_retries = meter_retries
        self.counters = CounterSet()    # per radio meter
        self.unsolicited = 0
        self._seq = 0
        self._lock = threading.RLock()
        self.vendor = None

    # ------------------------------------------------------------ plumbing
    def _next_seq(self):
        self._seq = (self._seq + 1) & 0xFF
        return self._seq

    def _exchange(self, make, timeout=None, retries=None):
        """Send ``make(seq)``; the decoded answer frame with our seq."""
        with self._lock:
            seq = self._next_seq()
            taken = []

            def accept(frame):
                try:
                    f = gdw.decode(frame)
                except CodecError as err:
                    return "undecodable module frame: %s" % err
                if not f.up:
                    return "a downlink frame on the module line (echo?)"
                if f.prm:
                    self._answer_unsolicited(f)
                    return "unsolicited AFN %02XH F%d from the module" % (f.afn, f.fn)
                if f.info[5] != seq:
                    return "answer to sequence %d, not %d" % (f.info[5], seq)
                taken.append(f)
                return None
            ex = self.port.transact(make(seq), gdw.Deframer(), accept, meter="module",
                                    reply_timeout=timeout, retries=retries)
            f = taken[-1]
            if f.afn == 0x00 and f.fn == 2:
                fields = gdw.parse(f)
                raise RadioError("module denied: %s" % fields.get("error_name", fields.get("error")),
                                 port=self.port.name, frame=ex.frame.hex(" ").upper())
            return f

    def _answer_unsolicited(self, f):
        # confirm reports; tell a module asking what to read that we lead the reading
        self.unsolicited += 1
        try:
            if f.afn == 0x14 and f.fn == 1:
                self.port.transport.write(build.route_read_reply(0, seq=f.info[5]))
            elif f.afn in (0x06, 0x14):
                self.port.transport.write(build.confirm(seq=f.info[5]))
        except DriverError:
            pass

    def fields(self, make, **kw):
        f = self._exchange(make, **kw)
        return gdw.parse(f)

    # ----------------------------------------------------------- commands
    def query_vendor(self):
        self.vendor = self.fields(lambda seq: build.query(1, seq=seq))
        return self.vendor

    def set_master_address(self, address=None):
        self.master_address = address or self.master_address
        self._exchange(lambda seq: build.set_master_address(self.master_address, seq=seq))

    def init(self):
        """Vendor query and master address: what the agent does at start."""
        self.query_vendor()
        self.set_master_address()

    def route(self, what):
        fn = {"restart": 1, "pause": 2, "resume": 3}[what]
        self._exchange(lambda seq: build.route_control(fn, seq=seq))

    def nodes(self):
        """{address: protocol type} of the module's slave-node table."""
        out = {}
        index = 1
        while True:
            page = self.fields(lambda seq: build.query_slave_info(index, NODE_PAGE, seq=seq))
            for node in page.get("nodes", []):
                out[node["address"]] = node.get("protocol", 0)
            index += NODE_PAGE
            if index > page.get("total", 0) or not page.get("nodes"):
                return out

    def add_nodes(self, nodes):
        items = list(nodes.items())
        for k in range(0, len(items), NODE_PAGE):
            chunk = items[k:k + NODE_PAGE]
            self._exchange(lambda seq: build.add_slaves(chunk, seq=seq))

    def delete_nodes(self, addresses):
        addresses = list(addresses)
        for k in range(0, len(addresses), NODE_PAGE):
            chunk = addresses[k:k + NODE_PAGE]
            self._exchange(lambda seq: build.delete_slaves(chunk, seq=seq))

    def sync_nodes(self, wanted):
        """Make the module's table equal ``wanted`` {address: protocol name};
        returns (added, deleted) address lists."""
        want = dict((node_address(a), protocol_type(p)) for a, p in wanted.items())
        have = self.nodes()
        stale = [a for a in have if a not in want or have[a] != want[a]]
        missing = dict((a, t) for a, t in want.items() if a not in have or have[a] != t)
        if stale:
            self.delete_nodes(stale)
        if missing:
            self.add_nodes(missing)
        return sorted(missing), sorted(a for a in stale if a not in missing)

    def broadcast(self, protocol, frame):
        """AFN 05H F3: the module broadcasts ``frame`` (a DL/T645 broadcast time
        sync or freeze) to its meters; it confirms, the meters do not answer."""
        ptype = protocol_type(protocol)
        self._exchange(lambda seq: build.start_broadcast(ptype, frame, seq=seq))
        self.counters.add(None, "broadcasts")

    def broadcaster(self, protocol):
        """A Port-shaped line whose ``broadcast`` goes out through the module
        (05H F3) to its ``protocol`` meters, for ``drivers.meters.broadcast_*``."""
        return RadioChannel(self, BROADCAST_NODE, protocol)

    def forward(self, node, protocol, frame, timeout=None):
        """13H F1: the meter's reply frame (bytes) to ``frame``, or NoReplyError."""
        ptype = protocol_type(protocol)
        timeout = self.meter_timeout if timeout is None else timeout
        with self._lock:
            if self.pause_for_reads:
                self.route("pause")
            try:
                f = self._exchange(lambda seq: build.monitor(self.master_address, node, frame,
                                                             protocol=ptype, seq=seq),
                                   timeout=timeout, retries=0)
            finally:
                if self.pause_for_reads:
                    self.route("resume")
        fields = gdw.parse(f)
        inner = fields.get("inner_frame") or b""
        if not inner:
            raise NoReplyError("radio meter %s did not answer through the module" % node,
                               port=self.port.name, meter=node,
                               hint="check the meter's radio reach and that it is in the node table")
        return inner


class RadioChannel:
    """One radio meter, shaped like a Port for the meter sessions."""

    def __init__(self, module, meter_address, protocol, settings=None):
        self.module = module
        self.node = node_address(meter_address)
        self.protocol = protocol
        self.name = "%s/%s" % (module.port.name, self.node)
        self.clock = module.port.clock
        self.settings = settings or PortSettings(reply_timeout=module.meter_timeout,
                                                 retries=module.meter_retries)
        self.counters = module.counters
        self.lock = module._lock
        self.transport = module.port.transport

    def open(self):
        self.module.port.open()

    def broadcast(self, request, meter=None):
        """A broadcast frame (DL/T645 08H/16H to 99..99) goes out through the
        module to every radio meter (05H F3)."""
        self.module.broadcast(self.protocol, request)

    def transact(self, request, deframer, accept=None, meter=None, reply_timeout=None,
                 retries=None, byte_gap=None):
        tries = 1 + (self.settings.retries if retries is None else retries)
        start = self.clock.monotonic()
        last = None
        for attempt in range(1, tries + 1):
            if attempt > 1:
                self.counters.add(meter, "retries")
            self.counters.add(meter, "requests")
            self.counters.add(meter, "bytes_out", len(request))
            try:
                inner = self.module.forward(self.node, self.protocol, request,
                                            timeout=reply_timeout or self.settings.reply_timeout)
            except NoReplyError as err:
                self.counters.add(meter, "timeouts")
                last = err
                continue
            self.counters.add(meter, "bytes_in", len(inner))
            deframer.reset()
            for frame in deframer.feed(inner):
                why = accept(frame) if accept is not None else None
                if why is None:
                    self.counters.add(meter, "replies")
                    return Exchange(frame, attempt, self.clock.monotonic() - start, [])
                last = NoReplyError(why, port=self.name, meter=meter)
            if last is None:
                last = NoReplyError("radio reply held no frame", port=self.name, meter=meter)
        self.counters.error(meter, str(last))
        raise last
