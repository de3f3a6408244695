"""On-demand reads (召测) by a meter's address (按地址选抄), and two reads of a
meter in one minute: the store keeps the latest and the reply says so."""

from bench.harness import T0
from tests.gateway.agent_rig import AgentRig, fits, run

E = "energy.active.import.total"


def test_read_by_address_answers_under_the_address_naming_the_meter(gw):
    got = gw.call("read", {"meters": ["000000000001", "m-0002", "00000000000301"],
                           "q": [E]})["meters"]
    assert list(got) == ["000000000001", "m-0002", "00000000000301"]
    assert got["000000000001"]["meter"] == "m-0001" and "meter" not in got["m-0002"]
    assert got["00000000000301"]["meter"] == "m-0006"
    assert got["000000000001"]["values"][0]["q"] == E
    assert {r["meter"] for r in gw.b.store.readings("realtime")} == {"m-0001", "m-0002"}


def test_an_address_not_in_the_archive_is_that_entrys_error_saying_what_to_do(gw):
    got = gw.call("read", {"meters": ["000000000777", "m-0001"], "q": [E]})["meters"]
    err = got["000000000777"]["error"]
    assert err["code"] == "unknown_meter" and "error" not in got["m-0001"]
    assert "no meter 000000000777 in the archive" in err["message"]
    assert "meters.add" in err["message"] and "concentrator meters add" in err["message"]
    assert got["m-0001"]["values"][0]["q"] == E
    whole = gw.error("read", {"meters": ["000000000777"]})
    assert whole.code == "unknown_meter" and "meters.add" in whole.message


def test_a_second_read_in_the_same_minute_replaces_the_first_and_says_so(gw):
    gw.run_until(T0 + 60 + 5)
    first = gw.call("read", {"meters": ["m-0003"], "q": [E]})["meters"]["m-0003"]
    assert "note" not in first
    t1 = first["values"][0]["ts"]
    gw.run_until(gw.now() + 4)
    second = gw.call("read", {"meters": ["m-0003"], "q": [E]})["meters"]["m-0003"]
    t2 = second["values"][0]["ts"]
    assert t1[:16] == t2[:16] and t1 != t2                      # same minute, 4 s later
    assert "replaces the values read at %s" % t1 in second["note"]
    (kept,) = gw.b.store.readings("realtime", "m-0003")
    assert gw.h.iso(kept["ts"]) == t2 and kept["value"] == second["values"][0]["value"]


def test_console_reads_an_archived_meter_by_address_and_explains_an_unknown_one(tmp_path):
    rig = AgentRig(tmp_path)
    try:
        r = run(rig, "read", "000000000101", "--item", E)
        assert r.exit_code == 0, r.stderr
        lines = fits(r.stdout)
        assert lines[0] == "m-0001" and lines[1].split()[0] == E
        r = run(rig, "read", "000000000777")
        assert r.exit_code == 2
        assert "no meter 000000000777 in the archive" in r.stderr
        assert "concentrator meters add" in r.stderr and "concentrator probe" in r.stderr
    finally:
        rig.stop()
