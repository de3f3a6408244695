"""Closing the store while another thread is in the middle of a query: the
agent's stop closes the store, and a worker that outlived its join bound may
still be stepping through rows.  SQLite would free what that thread reads
(a segmentation fault in the agent); the store leaves that connection to its
owner, which finishes, and opens a fresh one at its next use."""

import threading

from store import Store


def test_close_leaves_a_live_threads_connection_to_it(tmp_path):
    s = Store(str(tmp_path / "store.db"))
    s.put_readings([{"meter": "m-%04d" % i, "q": "energy.active.import.total", "unit": "kWh",
                     "kind": "daily", "ts": 1795017600, "value": i} for i in range(1, 200)])
    halfway, closed, done = threading.Event(), threading.Event(), {}

    def reader():
        c = s.connect()
        rows = c.execute("SELECT key FROM r_daily ORDER BY key")
        first = [next(rows) for _ in range(10)]
        halfway.set()
        closed.wait(30)
        try:
            done["rest"] = len(first) + len(list(rows))       # the same cursor, after close()
            done["again"] = s.count("daily")                   # a fresh connection
        except Exception as e:                                 # noqa: BLE001 - the assertion
            done["error"] = repr(e)

    t = threading.Thread(target=reader)
    t.start()
    assert halfway.wait(30)
    s.close()
    closed.set()
    t.join(30)
    assert done == {"rest": 199, "again": 199}
    s.close()
    assert s.open_connections() == 0
