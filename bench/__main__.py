"""`python -m bench [NAME ...] [--write]`: run benchmarks, print, update docs.

Names: codecs, wire, engine, uplink, acks.  With no name, all run.
"""

import argparse
import importlib
import sys

BENCHES = ("codecs", "wire", "engine", "uplink", "scan", "acks")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bench")
    p.add_argument("names", nargs="*", help="benchmarks to run (default: all of %s)" % ", ".join(BENCHES))
    p.add_argument("--write", metavar="DOC", help="update this markdown file's sections")
    p.add_argument("--quick", action="store_true", help="fewer runs (smoke test, not for the record)")
    args = p.parse_args(argv)
    names = args.names or list(BENCHES)
    for name in names:
        if name not in BENCHES:
            p.error("unknown benchmark %r: choose from %s" % (name, ", ".join(BENCHES)))
    failed = False
    for name in names:
        mod = importlib.import_module("bench." + name)
        print("== %s" % name, flush=True)
        ok = mod.run(write=bool(args.write), quick=args.quick)
        failed = failed or not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
