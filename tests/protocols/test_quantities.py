"""Every value any codec decodes from the corpus carries a canonical quantity
name with its canonical unit (or, where no exact power-of-ten conversion
exists, the meter's own unit of the same dimension)."""

from protocols.core import quantities
from protocols import registry
from protocols.core.errors import CodecError
from tests.corpus import manifest_lines

# the meter's unit is kept when converting would not be exact
KEPT_UNITS = {
    "heat.energy": {"GJ", "MJ", "kJ", "J"},
    "cooling.energy": {"GJ", "MJ", "kJ", "J"},
    "time.operating": {"s", "min", "h", "d"},
    "time.on": {"s", "min", "h", "d"},
    "flow.rate": {"m\u00b3/min", "m\u00b3/s"},
    "heat.power": {"GJ/h", "MJ/h", "kJ/h", "J/h"},
}


def _records(obj):
    if isinstance(obj, dict):
        if "quantity" in obj and "unit" in obj:
            yield obj
        for v in obj.values():
            yield from _records(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _records(v)


def test_every_decoded_quantity_is_canonical():
    seen = set()
    for line in manifest_lines():
        proto, name, text = line.split("\t")
        try:
            results = registry.decode_bytes(proto, bytes.fromhex(text))
        except (CodecError, ValueError):
            continue
        for rec in _records(results):
            q = rec["quantity"]
            if q is None:
                continue
            canonical = quantities.unit_of(q)
            assert canonical is not None, (name, q)
            if rec["unit"] != canonical:
                family = q.rsplit(".", 1)[0]
                assert rec["unit"] in KEPT_UNITS.get(family, KEPT_UNITS.get(q, ())), \
                    (name, q, rec["unit"], canonical)
            seen.add(q)
    assert len(seen) > 40, sorted(seen)


def test_names_expand_wildcards():
    names = quantities.names()
    assert "energy.active.import.t4" in names and "volume.total" in names
    assert quantities.unit_of("energy.active.import.t17") == "kWh"
    assert quantities.unit_of("energy.active.import.tx") is None
    assert quantities.unit_of("nonsense") is None
