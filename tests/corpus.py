"""Access to the shared conformance corpus (../shared/corpus) for tests."""

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("CONCENTRATOR_CORPUS", ROOT.parent / "shared" / "corpus"))
VECTORS = ROOT / "tests" / "vectors"


def load_json(rel):
    with open(CORPUS / rel, encoding="utf-8") as f:
        return json.load(f)


def vectors(rel):
    """The vectors of a corpus JSON file, each with its bytes under "bytes"."""
    out = []
    for v in load_json(rel):
        v = dict(v)
        v["bytes"] = bytes.fromhex(v["hex"])
        out.append(v)
    return out


def own_vectors(name):
    """Our own vectors in tests/vectors/<name>.json (same format as the corpus)."""
    path = VECTORS / (name + ".json")
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for v in data:
        v["bytes"] = bytes.fromhex(v["hex"])
    return data


def mbus_hex_files(folder):
    """(path, text) of the libmbus .hex telegrams in mbus/<folder>, sorted."""
    base = CORPUS / "mbus" / folder
    return [(p, p.read_text(errors="replace")) for p in sorted(base.glob("*.hex"))]


def manifest_lines():
    """protocol<TAB>name<TAB>hex for every frame of the corpus and our vectors."""
    lines = []
    protos = {"dlt645-2007": "dlt645-2007", "dlt645-1997": "dlt645-1997",
              "cjt188-2004": "cjt188", "gdw1376.2-2013": "gdw1376.2"}
    for rel in ("dlt645/vectors.json", "dlt645/synthetic_vectors.json",
                "cjt188/vectors.json", "gdw1376_2/vectors.json"):
        for i, v in enumerate(load_json(rel)):
            proto = protos[v["protocol"]]
            lines.append("%s\t%s#%d\t%s" % (proto, rel, i, v["hex"].replace(" ", "")))
    for folder in ("test-frames", "error-frames", "unsupported-frames"):
        for path, text in mbus_hex_files(folder):
            cleaned = "".join(text.split())
            try:
                bytes.fromhex(cleaned)
            except ValueError:
                continue  # manual_frame1.hex is deliberately not hex
            lines.append("mbus\tmbus/%s/%s\t%s" % (folder, path.name, cleaned))
    for name, proto in (("dlt645", None), ("dlt645_1997", "dlt645-1997"), ("cjt188", "cjt188"),
                        ("mbus", "mbus"), ("gdw1376_2", "gdw1376.2"), ("modbus", "modbus")):
        for i, v in enumerate(own_vectors(name)):
            p = proto or v.get("protocol", "dlt645-2007")
            lines.append("%s\tvectors/%s#%d\t%s" % (p, name, i, v["hex"].replace(" ", "")))
    return lines
