"""Child process for the kill -9 test: the engine freezing values into a store.

    python tests/scheduler/kill_child.py STORE_DIR START_OFFSET_DAYS

Prints one line per committed reading ("meter kind ts q value") right after
its transaction commits, then runs until killed.
"""

import sys
import tempfile

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0])

from store import Store  # noqa: E402
from bench.harness import T0, Bench  # noqa: E402

SCENARIO = {"port": [
    {"name": "bus1", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 12, "first_address": "000000000001"}]},
    {"name": "bus2", "baud": 9600, "meters": [
        {"protocol": "dlt645-2007", "count": 12, "first_address": "000000000101"}]}]}


class PrintingStore(Store):
    def put_readings(self, readings, replaced=None):
        readings = list(readings)
        n = super().put_readings(readings, replaced)       # returns after COMMIT
        out = sys.stdout
        for r in readings:
            out.write("%s %s %d %s %s\n" % (r["meter"], r["kind"], r["ts"], r["q"], r["value"]))
        out.flush()
        return n


def main():
    store_dir, offset_days = sys.argv[1], int(sys.argv[2])
    import bench.harness as h
    h.Store = PrintingStore
    b = Bench(store_dir, SCENARIO, start=T0 + offset_days * 86400,
              params={"plan.realtime_interval_min": 0}, added=T0)
    b.start()
    b.run_until(T0 + (offset_days + 60) * 86400)


if __name__ == "__main__":
    main()
