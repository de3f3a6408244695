"""M-Bus (EN 13757-2 link layer, EN 13757-3 application layer): frame codec,
headers, data records, value encodings, tables, and the master's requests
(spec/protocols.md 5).

Pure codec: no I/O, no clock; runs on MicroPython 1.27 too (docs/micropython.md).
"""
