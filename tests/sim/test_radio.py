"""The simulated Q/GDW1376.2 radio module: node table, forwarding, loss, outage."""

from drivers.clock import VirtualClock
from protocols.cjt188 import codec as cjt188
from protocols.dlt645 import edition2007 as dlt645
from protocols.gdw1376_2 import codec as g
from protocols.gdw1376_2 import build as gb
from sim.meters import Cjt188Meter, Dlt645Meter
from sim.radio import RadioModule

MASTER = "000000000001"
A, B = "000000000161", "000000000262"


def module(**options):
    clk = VirtualClock()
    r = RadioModule(clk, master_address=MASTER, seed=5, **options)
    meters = [Dlt645Meter(A, clk), Dlt645Meter(B, clk)]
    for m in meters:
        r.attach(m)
    return clk, r, meters


def ask(r, frame):
    return [(d, g.decode_dict(f)) for d, f in r.receive(frame)]


def only(r, frame):
    (d, reply), = ask(r, frame)
    return d, reply


def test_identity_and_master_address():
    clk, r, _ = module()
    d, rep = only(r, gb.query(1, seq=9))
    assert (rep["afn"], rep["seq"], rep["dir"]) == ("0x03", 9, "up")
    assert rep["fields"]["vendor_code"] == "SM"
    assert only(r, gb.query(4))[1]["fields"]["master_node_address"] == MASTER
    assert only(r, gb.set_master_address("000000000009"))[1]["fn"] == 1
    assert only(r, gb.query(4))[1]["fields"]["master_node_address"] == "000000000009"
    assert only(r, gb.query(10))[1]["fields"]["monitor_timeout_s"] == 10


def test_node_table_add_query_delete_and_init():
    clk, r, _ = module()
    assert only(r, gb.add_slaves([(A, 2), (B, 2)]))[1]["fn"] == 1
    d, rep = only(r, gb.add_slaves([(A, 2)]))
    assert (rep["afn"], rep["fn"], rep["fields"]["error"]) == ("0x00", 2, 6)
    assert only(r, gb.query_slave_count())[1]["fields"]["slave_count"] == 2
    info = only(r, gb.query_slave_info(2, 5))[1]["fields"]
    assert info["total"] == 2 and [n["address"] for n in info["nodes"]] == [B]
    assert only(r, gb.delete_slaves(["000000000999"]))[1]["fields"]["error"] == 7
    assert only(r, gb.delete_slaves([A]))[1]["fn"] == 1
    assert r.node_addresses() == [B]
    assert only(r, gb.param_init())[1]["fn"] == 1
    assert r.node_addresses() == []
    assert only(r, gb.route_control(2))[1]["fn"] == 1 and r.routing == "paused"
    assert only(r, gb.query_router_status())[1]["fields"]["working"] == 0
    assert only(r, gb.route_control(3))[1]["fn"] == 1 and r.routing == "running"
    assert only(r, gb.send_test(1))[1]["fn"] == 1


def test_monitor_forwards_to_the_meter_and_back():
    clk, r, meters = module(radio_delay=(0.5, 1.0))
    only(r, gb.add_slaves([(A, 2)]))
    inner = dlt645.read(A, 0x00010000).encode()
    d, rep = only(r, gb.monitor(MASTER, A, inner, seq=0x33))
    assert 0.5 <= d <= 1.0 + meters[0].reply_delay
    assert (rep["afn"], rep["seq"], rep["src_address"], rep["dst_address"]) == \
        ("0x13", 0x33, A, MASTER)
    reply = bytes.fromhex(rep["fields"]["inner_frame"])
    assert reply.startswith(b"\xFE\xFE\xFE\xFE")
    assert dlt645.values_of(reply)[0]["value"] == meters[0].value("energy.active.import.total")
    # B is in radio range but not in the node table
    d, rep = only(r, gb.monitor(MASTER, B, dlt645.read(B, 0x00010000).encode()))
    assert (rep["afn"], rep["fields"]["error"]) == ("0x00", 7)


def test_loss_gives_an_empty_frame_after_the_timeout_reproducibly():
    def run():
        clk, r, _ = module(loss=0.5, timeout=8)
        only(r, gb.add_slaves([(A, 2)]))
        out = []
        for k in range(20):
            d, rep = only(r, gb.monitor(MASTER, A, dlt645.read(A, 0x00010000).encode(), seq=k))
            out.append((round(d, 6), rep["fields"]["inner_len"]))
        return out, r.counters["losses"]
    first, losses = run()
    assert (first, losses) == run()
    assert 3 < losses < 17
    assert all(d == 8 for d, n in first if n == 0)
    assert all(n > 0 and d < 8 for d, n in first if d != 8)


def test_loss_reply_deny_and_silent_node():
    clk, r, _ = module(loss=1.0, loss_reply="deny", timeout=6)
    only(r, gb.add_slaves([(A, 2), ("000000000777", 2)]))
    d, rep = only(r, gb.monitor(MASTER, A, dlt645.read(A, 0x00010000).encode()))
    assert (d, rep["afn"], rep["fields"]["error"]) == (6, "0x00", 11)
    clk, r, _ = module(timeout=6)
    only(r, gb.add_slaves([("000000000777", 2)]))
    d, rep = only(r, gb.monitor(MASTER, "000000000777",
                                dlt645.read("000000000777", 0x00010000).encode()))
    assert (d, rep["afn"], rep["fields"]["inner_len"]) == (6, "0x13", 0)


def test_outage_silences_the_module():
    clk, r, _ = module()
    r.outage(True)
    assert r.receive(gb.query(1)) == []
    r.outage(False)
    assert len(r.receive(gb.query(1))) == 1


def test_broadcast_and_cjt188_through_the_radio():
    clk, r, meters = module()
    w = Cjt188Meter("00112233445566", clk)
    node = r.attach(w)
    assert node == "112233445566"
    only(r, gb.add_slaves([(node, 0)]))
    d, rep = only(r, gb.monitor(MASTER, node, cjt188.read_data(0x10, w.address), protocol=0))
    got = cjt188.decode_dict(bytes.fromhex(rep["fields"]["inner_frame"]))
    assert got["values"][0]["value"] == w.value("volume.total")
    assert only(r, gb.start_broadcast(2, dlt645.freeze().encode()))[1]["fn"] == 1
    assert [len(m.instants) for m in meters] == [1, 1]


def test_meter_faults_apply_over_the_radio():
    clk = VirtualClock()
    r = RadioModule(clk, seed=1, timeout=9)
    m = Dlt645Meter(A, clk, faults=[{"type": "no_reply", "count": 1}])
    r.attach(m)
    only(r, gb.add_slaves([(A, 2)]))
    d, rep = only(r, gb.monitor(MASTER, A, dlt645.read(A, 0x00010000).encode()))
    assert (d, rep["fields"]["inner_len"]) == (9, 0)
    d, rep = only(r, gb.monitor(MASTER, A, dlt645.read(A, 0x00010000).encode()))
    assert rep["fields"]["inner_len"] > 0 and d < 9
