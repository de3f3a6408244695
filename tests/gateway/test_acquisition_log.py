"""The acquisition log (issue 12): one row per reading round -- the scheduler's
boundary round or a ``read`` command -- with which meters and the counts of
good, failed and caught-up reads; never a row per frame.  Virtual time."""

T_HOUR = 3600


def rows(gw, what):
    return [r for r in gw.b.store.logs("acquisition") if r["detail"]["what"] == what]


def test_a_boundary_round_and_a_read_command_each_get_one_row(gw):
    start = gw.now()
    boundary = start - start % T_HOUR + T_HOUR
    gw.run_until(boundary + 20 * 60)                 # the next hourly round is done by then
    (hourly,) = [r for r in rows(gw, "hourly round") if r["detail"]["boundary"] == boundary]
    d = hourly["detail"]
    assert d["kind"] == "hourly" and d["count"] == len(d["meters"]) == 9
    assert d["good"] + d["failed"] == 9 and d["good"] >= 8
    assert hourly["message"].startswith("hourly round: 9 meter(s), %d good" % d["good"])
    got = gw.call("read", {"meters": ["m-0001", "m-0006"]})
    assert set(got["meters"]) == {"m-0001", "m-0006"}
    (read,) = rows(gw, "read command")
    assert read["detail"]["meters"] == ["m-0001", "m-0006"]
    assert (read["detail"]["good"], read["detail"]["failed"]) == (2, 0)
    # hundreds of frames went over the buses; the log holds one row per round
    all_rows = gw.b.store.logs("acquisition")
    keys = [(r["detail"]["what"], r["detail"].get("boundary")) for r in all_rows]
    assert len(keys) == len(set(keys)) <= 6
