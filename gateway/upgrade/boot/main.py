"""``python3 <copy> boot-check --prefix DIR``: the boot check for systemd's
ExecStartPre, run from the copy kept outside the releases (``bootcopy``)."""

import json
import sys

from .check import boot_check, status


class SystemClock:
    def time(self):
        import time
        return time.time()


def main(argv=None):
    """``python3 install.py boot-check --prefix DIR``: for systemd's
    ExecStartPre from a copy outside the releases.  Always exits 0: a boot
    check that cannot do its work must not keep the agent from starting."""
    import argparse
    parser = argparse.ArgumentParser(prog="upgrade-boot-check")
    parser.add_argument("command", choices=["boot-check", "status"])
    parser.add_argument("--prefix", default="/opt/concentrator")
    args = parser.parse_args(argv)
    try:
        if args.command == "status":
            result = status(args.prefix)
        else:
            result = boot_check(args.prefix, SystemClock())
    except Exception as err:        # noqa: BLE001 - never block the start
        print("upgrade boot check failed: %s" % err, file=sys.stderr)
        return 0
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
