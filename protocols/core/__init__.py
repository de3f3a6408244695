"""What every protocol codec shares: errors, exact numbers, BCD, checksums,
the deframer and the quantity names (see docs/codecs.md)."""
