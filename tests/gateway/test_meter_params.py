"""Parameters written into the meters themselves (settlement day, freeze
times), through ``meter.params.set`` with the meter's password: the
simulated meters take the writes, the modification log keeps old and new."""

from tests.gateway.conftest import MQTT


def test_dlt645_settlement_day_and_freeze_time_written_with_the_password(gw):
    got = gw.call("meter.params.set", {"meter": "m-0001", "password": "000000", "params": {
        "settlement.day.1": "15T08", "freeze.daily.time": "00:30",
        "freeze.hourly.interval": 30}})
    assert got == {"meter": "m-0001", "params": {
        "settlement.day.1": {"old": "01T00", "new": "15T08"},
        "freeze.daily.time": {"old": "00:00", "new": "00:30"},
        "freeze.hourly.interval": {"old": "60", "new": "30"}}}
    sim = gw.sim("m-0001")
    assert sim.params["settlement.day.1"] == "15T08" and sim.params["freeze.daily.time"] == "00:30"
    (entry,) = [r for r in gw.b.store.logs("modification") if "m-0001 parameters" in r["message"]]
    assert "settlement.day.1 01T00 -> 15T08" in entry["message"]
    assert entry["detail"]["changes"]["freeze.daily.time"] == ["00:00", "00:30"]
    assert "000000" not in str(entry)                      # never the password
    # read back by meter.params.get, by the meter's address too
    shown = gw.call("meter.params.get", {"meter": "000000000001"})
    assert shown["meter"] == "m-0001" and shown["params"]["settlement.day.1"] == "15T08"
    assert "DDThh" in shown["allowed"]["settlement.day.1"]


def test_cjt188_settlement_day(gw):
    got = gw.call("meter.params.set", {"meter": "m-0006", "params": {"settlement.day": 20}})
    assert got["params"] == {"settlement.day": {"old": 1, "new": 20}}
    assert gw.sim("m-0006").settlement_day == 20
    log = [r for r in gw.b.store.logs("modification") if "m-0006 parameters" in r["message"]]
    assert log and log[0]["detail"]["changes"] == {"settlement.day": ["1", "20"]}


def test_refusals_say_what_to_do(gw):
    err = gw.error("meter.params.set", {"meter": "m-0001", "params": {"settlement.day.1": "15T08"}})
    assert err.code == "bad_request" and "options.password" in err.message
    err = gw.error("meter.params.set", {"meter": "m-0001", "password": "000000",
                                        "params": {"settlement.day.1": "32T00"}})
    assert err.code == "bad_request" and "day 01..28" in err.message
    err = gw.error("meter.params.set", {"meter": "m-0001", "password": "000000",
                                        "params": {"tariff": 1}})
    assert err.code == "bad_request" and "settlement.day.1" in err.message
    err = gw.error("meter.params.set", {"meter": "m-0001", "password": "12345",
                                        "params": {"settlement.day.1": "15T08"}})
    assert err.code == "bad_request" and "6 hex digits" in err.message
    err = gw.error("meter.params.set", {"meter": "m-0006", "password": "000000",
                                        "params": {"settlement.day": 5}})
    assert err.code == "bad_request" and "password" in err.message
    err = gw.error("meter.params.set", {"meter": "m-0009", "params": {"settlement.day": 5}})
    assert err.code == "not_supported" and "DL/T645-2007" in err.message
    # a wrong password: the meter refuses (D4H 04H), nothing is written or logged
    err = gw.error("meter.params.set", {"meter": "m-0002", "password": "123456",
                                        "params": {"settlement.day.1": "15T08"}})
    assert err.code == "meter_error" and "refused" in err.message
    assert gw.sim("m-0002").params == {}
    assert not [r for r in gw.b.store.logs("modification") if "m-0002 parameters" in r["message"]]
    assert gw.h.needs_signature("meter.params.set") and gw.h.slow("meter.params.set")
    assert gw.error("meter.params.get", {"meter": "m-0404"}).code == "unknown_meter"
    assert MQTT["signed"]


def test_console_shows_and_writes_a_meters_parameters(tmp_path):
    from tests.gateway.agent_rig import AgentRig, fits, run
    rig = AgentRig(tmp_path)
    try:
        r = run(rig, "meter-params", "000000000101")
        assert r.exit_code == 0, r.stderr
        lines = fits(r.stdout)
        assert lines[0] == "m-0001" and ["settlement.day.1", "01T00"] in [
            line.split() for line in lines]
        r = run(rig, "meter-params", "m-0001", "settlement.day.1=10T00", "--password", "000000")
        assert r.exit_code == 0, r.stderr
        assert ["settlement.day.1", "01T00", "10T00"] in [line.split() for line in fits(r.stdout)]
        r = run(rig, "meter-params", "m-0001", "settlement.day.1")
        assert r.exit_code == 2 and "is not NAME=VALUE" in r.stderr
        r = run(rig, "meter-params", "m-0001", "settlement.day.1=10T00")
        assert r.exit_code != 0 and "options.password" in r.stderr
    finally:
        rig.stop()
