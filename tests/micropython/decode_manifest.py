# Decodes every frame of a manifest and prints one canonical line per frame.
# Runs unchanged under CPython and MicroPython (see tests/test_micropython.py):
# the manifest /work/manifest.txt (or argv[1] on CPython) holds lines
# "protocol<TAB>name<TAB>hex"; the output is "name<TAB>canonical JSON" or
# "name<TAB>!ErrorClass: message".
import sys
import json
from protocols import registry
from protocols.core.errors import CodecError
from protocols.core.num import Num


def dumps(x):
    # ASCII-only JSON: CPython escapes non-ASCII (m\u00b3), MicroPython does not
    return "".join(c if ord(c) < 128 else "\\u%04x" % ord(c) for c in json.dumps(x))


def canon(obj):
    # JSON with sorted keys, Num as exact strings: independent of dict order
    if isinstance(obj, Num):
        return dumps(str(obj))
    if isinstance(obj, dict):
        keys = sorted(obj)
        return "{" + ",".join(dumps(k) + ":" + canon(obj[k]) for k in keys) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(canon(v) for v in obj) + "]"
    return dumps(obj)


def main(path):
    f = open(path)
    for line in f:
        line = line.rstrip("\n")
        if not line:
            continue
        proto, name, text = line.split("\t")
        try:
            data = bytes.fromhex(text)
        except ValueError:
            print(name + "\t!hex")
            continue
        try:
            results = registry.decode_bytes(proto, data)
            print(name + "\t" + canon(results))
        except CodecError as err:
            print(name + "\t!" + type(err).__name__ + ": " + str(err))
    f.close()


if sys.implementation.name == "micropython":
    main("/work/manifest.txt")
elif __name__ == "__main__":
    main(sys.argv[1])
