"""Q/GDW 1376.2-2013: the concentrator's local link to its micro-power radio or
carrier module: frame codec, data units, builders (spec/protocols.md 4).

Pure codec: no I/O, no clock; runs on MicroPython 1.27 too (docs/micropython.md).
"""
