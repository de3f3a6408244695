"""Benchmarks (`make bench`): each module measures one target and writes its
section of docs/benchmarks.md, with the command and the machine."""
