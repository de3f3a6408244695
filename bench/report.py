"""Shared bench plumbing: timing medians, the machine line, docs sections."""

import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

HEADER = """# Benchmarks

Produced by `make bench` (each section names the command that produced it and
the machine).  These machines are shared and noisy: figures are medians of
several runs, and comparisons are ratios measured in the same run.
"""


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return "%s, %d cores, Python %s (%s), %s" % (cpu, os.cpu_count() or 0,
                                                platform.python_version(),
                                                platform.python_implementation(),
                                                platform.platform(terse=True))


def git_rev():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=DOC.parent.parent).stdout.strip() or "?"
    except OSError:
        return "?"


def rate(fn, items, runs=7, min_time=0.3):
    """Median items/second of ``fn(items)`` over ``runs`` runs, each repeated
    until it lasts at least ``min_time`` seconds."""
    rates = []
    for _ in range(runs):
        reps = 0
        start = time.perf_counter()
        while True:
            fn(items)
            reps += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        rates.append(reps * len(items) / elapsed)
    return statistics.median(rates), rates


def interleaved_rates(contenders, items_of, runs=7, min_time=0.3):
    """Median rates of several contenders, their runs interleaved so that
    machine noise hits them alike.  ``contenders``: name -> fn(items)."""
    samples = dict((name, []) for name in contenders)
    for _ in range(runs):
        for name, fn in contenders.items():
            _, one = rate(fn, items_of[name], runs=1, min_time=min_time)
            samples[name].append(one[0])
    return dict((name, statistics.median(v)) for name, v in samples.items()), samples


def write_section(key, title, body, command):
    """Replace (or append) the section ``key`` of docs/benchmarks.md."""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else HEADER
    stamp = time.strftime("%Y-%m-%d")
    section = ("<!-- bench:%s -->\n## %s\n\nCommand: `%s` (commit %s, %s)  \nMachine: %s\n\n%s\n"
               "<!-- /bench:%s -->" % (key, title, command, git_rev(), stamp, machine(),
                                       body.strip(), key))
    pattern = re.compile(r"<!-- bench:%s -->.*?<!-- /bench:%s -->" % (key, key), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda m: section, text)
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    DOC.write_text(text, encoding="utf-8")


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        out.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(out)


def peak_rss_mb():
    """This process's peak RSS in MB.  VmHWM from /proc: getrusage's ru_maxrss
    survives exec on Linux, so a child started by a large parent would report
    the parent's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
