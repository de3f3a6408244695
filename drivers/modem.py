"""The cellular modem's signal, as a board exposes it: a file holding the
modem's last ``AT+CSQ`` answer, written by whatever talks to the modem (a
ppp chat script, a cron job, the vendor's daemon).  The agent does not talk
to the modem itself (the modem belongs to pppd while the link is up) and
ModemManager is not assumed.

The file holds ``+CSQ: <rssi>,<ber>``, ``<rssi>,<ber>`` or ``<rssi>``
(3GPP TS 27.007: rssi 0..31, 99 not known).  ``read_signal`` gives the rssi
and four bars, or None for each when the file is missing, unreadable,
unparseable, says 99, or is older than ``max_age_s`` (a modem script that
stopped must not leave an old signal on the screen).
"""

import os
import re

_CSQ = re.compile(r"\s*(?:\+CSQ:\s*)?(\d{1,2})\s*(?:,\s*\d{1,2}\s*)?(?:OK\s*)?\Z", re.I)

# rssi -> bars: <= -111 dBm none, -109..-95 marginal, -93..-85 ok, -83..-75 good, >= -73 excellent
_BARS = ((2, 0), (10, 1), (15, 2), (20, 3), (32, 4))


def parse_csq(text):
    """The rssi (0..31) of a CSQ answer, or None (99 or not a CSQ answer)."""
    m = _CSQ.match(text or "")
    if m is None:
        return None
    rssi = int(m.group(1))
    return rssi if 0 <= rssi <= 31 else None


def bars(rssi):
    """0..4 bars of an rssi, or None."""
    if rssi is None:
        return None
    for limit, n in _BARS:
        if rssi < limit:
            return n
    return 4


def read_signal(path, now, max_age_s=300):
    """{"csq": rssi or None, "signal": bars or None, "signal_error": why or None}
    from the file at ``path``; ``now`` (epoch seconds) against its mtime."""
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            age = now - os.fstat(f.fileno()).st_mtime
            text = f.read(64)
    except OSError as err:
        return {"csq": None, "signal": None, "signal_error": "%s: %s" % (
            path, err.strerror or err)}
    if age > max_age_s:
        return {"csq": None, "signal": None,
                "signal_error": "%s is %d s old (more than %d s)" % (path, age, max_age_s)}
    rssi = parse_csq(text)
    return {"csq": rssi, "signal": bars(rssi),
            "signal_error": None if rssi is not None else "%s: no signal (%r)" % (
                path, text.strip()[:32])}
