"""The frame checks: the 8-bit sum and CRC-16/MODBUS.

Runs unchanged on CPython 3.10+ and MicroPython 1.27 (docs/micropython.md):
no typing, dataclasses, enum, decimal or __future__ imports.
"""


def sum8(data, start=0, end=None):
    """Sum of bytes mod 256 (DL/T645, CJ/T188, M-Bus, Q/GDW 1376.2)."""
    if end is None:
        end = len(data)
    if start == 0 and end == len(data):
        return sum(data) & 0xFF
    return sum(memoryview(data)[start:end]) & 0xFF


def _crc_table():
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


CRC16_TABLE = _crc_table()


def crc16_modbus(data):
    """CRC-16/MODBUS (poly A001H reflected, init FFFFH), table-driven.

    Appended to a frame low byte first; over a whole valid frame it is 0.
    """
    crc = 0xFFFF
    table = CRC16_TABLE
    for b in data:
        crc = (crc >> 8) ^ table[(crc ^ b) & 0xFF]
    return crc
