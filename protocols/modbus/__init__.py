"""Modbus RTU: frame layouts and decoding, the stream deframer, request and reply
builders, register value conversion and the register maps of real meters
(spec/protocols.md 6).

Pure codec: no I/O, no clock; runs on MicroPython 1.27 too (docs/micropython.md).
"""
