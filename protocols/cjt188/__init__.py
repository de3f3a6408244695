"""CJ/T188-2004 water, gas and heat meters: frame codec, data-item tables, field
layouts (spec/protocols.md 3).

Pure codec: no I/O, no clock; runs on MicroPython 1.27 too (docs/micropython.md).
"""
