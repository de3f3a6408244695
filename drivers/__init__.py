"""Ports: serial lines, RS485 direction control, half-duplex transactions, the radio module."""
