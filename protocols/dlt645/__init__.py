"""DL/T645 electricity meters: the frame shared by both editions, the data formats,
the 2007 data-item table, and the 2007 and 1997 editions' codecs (spec/protocols.md 1, 2).

Pure codec: no I/O, no clock; runs on MicroPython 1.27 too (docs/micropython.md).
"""
