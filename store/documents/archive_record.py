"""One meter record of the archive (档案): its fields and their validation.

``normalise(record, rules)`` checks every field of one record and returns it
in its stored form (addresses zero-padded, decimals as digit strings, booleans
as booleans) or raises ``ArchiveError`` naming the meter, the field, the value
and what is allowed.  What each protocol allows is ``store/documents/archive_rules.py``;
checks that need the whole archive (duplicate ids and addresses) are in
``store/documents/archive.py``.
"""

import re

from store.documents.archive_rules import (MeterRules, bad, normalise_address, normalise_limits,
                                           normalise_options)
from store.documents.coerce import to_bool, to_int, to_text
from store.errors import ArchiveError

FIELDS = ("id", "address", "protocol", "port", "kind", "radio", "area", "tariff",
          "limits", "options", "name", "added")
ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")
ID_ALLOWED = "1 to 32 letters, digits, '_', '.' or '-', e.g. m-0001"
TEXT_MAX = 64


def _text_field(meter, field, value):
    try:
        text = to_text(value)
    except ValueError:
        raise bad(meter, field, value, "is not text",
                  "use up to %d characters" % TEXT_MAX) from None
    if len(text) > TEXT_MAX or any(ord(c) < 32 for c in text):
        raise bad(meter, field, value, "is not valid",
                  "use up to %d characters without control characters" % TEXT_MAX)
    return text


def check_id(value, meter="(new)"):
    """The id text, or ``ArchiveError`` saying what an id may be."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise bad(meter, "id", value, "is not a valid id", "use " + ID_ALLOWED)
    return value


def normalise(record, rules=None):
    """The stored form of one meter record, or ``ArchiveError`` naming the meter and field.

    ``id`` and ``added`` may be missing (``Archive.add`` assigns them); empty
    optional fields (None or "") are dropped.
    """
    rules = rules or MeterRules()
    names = rules.names()
    if not isinstance(record, dict):
        raise ArchiveError("a meter record must be an object of fields, got %s: use %s"
                           % (type(record).__name__, ", ".join(FIELDS)), allowed=FIELDS)
    raw = record.get("id")
    meter = raw if isinstance(raw, str) and raw else "(new)"
    unknown = sorted(k for k in record if k not in FIELDS)
    if unknown:
        raise bad(meter, "field", ", ".join(map(str, unknown)), "is not a meter field",
                  "use %s" % ", ".join(FIELDS))
    out = {}
    if raw is not None and raw != "":
        out["id"] = check_id(raw, meter)
    protocol = record.get("protocol")
    if isinstance(protocol, str):
        protocol = protocol.strip().lower()
    if protocol in (None, ""):
        raise bad(meter, "protocol", None, "is missing", "use one of %s" % ", ".join(names))
    if protocol not in names:
        raise bad(meter, "protocol", record.get("protocol"), "is not supported",
                  "use one of %s" % ", ".join(names))
    out["protocol"] = protocol
    if record.get("address") in (None, ""):
        raise bad(meter, "address", None, "is missing", "give the address printed on the meter")
    out["address"] = normalise_address(meter, protocol, record["address"], rules)
    kinds = rules.row(protocol).kinds
    kind = record.get("kind")
    if kind in (None, ""):
        if len(kinds) != 1:
            raise bad(meter, "kind", None, "is missing",
                      "%s meters are %s" % (protocol, " or ".join(kinds)))
        kind = kinds[0]
    kind = kind.strip().lower() if isinstance(kind, str) else kind
    if kind not in kinds:
        raise bad(meter, "kind", record.get("kind"), "is not allowed for %s" % protocol,
                  "use %s" % " or ".join(kinds))
    out["kind"] = kind
    try:
        radio = record.get("radio")
        out["radio"] = False if radio in (None, "") else to_bool(radio)
    except ValueError:
        raise bad(meter, "radio", record.get("radio"), "is not valid", "true or false") from None
    out["port"] = _port(meter, record.get("port"), out["radio"], rules)
    for field in ("area", "tariff", "name"):
        if record.get(field) not in (None, ""):
            text = _text_field(meter, field, record[field])
            if text:
                out[field] = text
    if record.get("limits") not in (None, "", {}):
        limits = normalise_limits(meter, record["limits"])
        if limits:
            out["limits"] = limits
    if record.get("options") not in (None, "", {}):
        options = normalise_options(meter, protocol, record["options"], rules)
        if options:
            out["options"] = options
    id_option = rules.id_option(protocol)
    given_id = out.get("options", {}).get(id_option) if id_option else None
    if given_id and len(out["address"]) == len(given_id) and given_id != out["address"]:
        raise bad(meter, "options.%s" % id_option, given_id,
                  "differs from the secondary address %s" % out["address"],
                  "give the secondary address once, as the address")
    if record.get("added") not in (None, ""):
        try:
            added = to_int(record["added"])
            if added < 0:
                raise ValueError
        except ValueError:
            raise bad(meter, "added", record["added"], "is not valid",
                      "epoch seconds (a whole number >= 0)") from None
        out["added"] = added
    return ordered(out)


def ordered(record):
    """The record with its fields in ``FIELDS`` order (stable output for CLI and MQTT)."""
    out = dict((f, record[f]) for f in FIELDS if f in record)
    for field in ("limits", "options"):
        if field in out:
            out[field] = dict(out[field])
    return out


def _port(meter, value, radio, rules):
    if value in (None, "") and radio and rules.radio_port:
        return rules.radio_port
    if value in (None, ""):
        where = ", ".join(rules.port_names) if rules.port_names else "the configured ports"
        raise bad(meter, "port", None, "is missing", "use one of %s" % where)
    if not isinstance(value, str):
        raise bad(meter, "port", value, "is not a port name", "use a port name as text")
    port = value.strip()
    if rules.port_names is not None and port not in rules.port_names:
        raise bad(meter, "port", value, "does not exist",
                  "use one of %s" % (", ".join(rules.port_names) or "(no ports configured)"))
    if rules.radio_port:
        if radio and port != rules.radio_port:
            raise bad(meter, "port", value, "is not the radio port",
                      "a radio meter is on %s (or set radio=false)" % rules.radio_port)
        if not radio and port == rules.radio_port:
            raise bad(meter, "port", value, "is the radio module",
                      "set radio=true, or choose a wired port")
    return port


def with_changes(record, changes):
    """``record`` with ``changes`` applied: fields replace, None removes,
    ``limits``/``options`` merge key by key (None removes a key)."""
    new = dict(record)
    for field, value in changes.items():
        if field in ("limits", "options") and isinstance(value, dict):
            merged = dict(new.get(field) or {})
            for k, v in value.items():
                if v is None:
                    merged.pop(k, None)
                else:
                    merged[k] = v
            new[field] = merged
        elif value is None:
            new.pop(field, None)
        else:
            new[field] = value
    return new


def address_key(record, rules):
    """What must be unique on a port: (port, family, address or its id option: M-Bus secondary)."""
    id_option = rules.id_option(record["protocol"])
    given_id = record.get("options", {}).get(id_option) if id_option else None
    return (record["port"], rules.family(record["protocol"]), given_id or record["address"])
