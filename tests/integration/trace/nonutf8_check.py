#!/usr/bin/env python3
"""nonutf8_check.py LOG DIR: the log of `progs latin1 DIR` holds the exact bytes of the names that are
not UTF-8 (path_hex / argv_hex) and the UTF-8 name as it is. Prints what is wrong; exit 1 then."""
import json, sys

log, d = sys.argv[1], sys.argv[2].encode()
raw = open(log, "rb").read()
problems = []
try:
    doc = json.loads(raw.decode("utf-8"))  # strict: the log itself must be UTF-8
except (UnicodeDecodeError, ValueError) as e:
    print(f"{log}: not strict UTF-8 JSON: {e}")
    sys.exit(1)

def exact(obj, key):
    h = obj.get(key + "_hex")
    return bytes.fromhex(h) if h is not None else obj[key].encode("utf-8")

def exact_list(obj, key):
    hx = obj.get(key + "_hex") or [None] * len(obj[key])
    if len(hx) != len(obj[key]):
        problems.append(f"{key}_hex: length differs from {key}")
    return [bytes.fromhex(h) if h is not None else s.encode() for s, h in zip(obj[key], hx)]

files = {exact(f, "path"): f for f in doc["files"]}
for name, lossy in ((b"caf\xe9", "caf\ufffd"), (b"\xff\xfe", "\ufffd\ufffd")):
    p = d + b"/" + name
    f = files.get(p)
    if not f:
        problems.append(f"{p!r}: not in the log (paths under DIR: {[k for k in files if k.startswith(d)]})")
        continue
    if not (f["ok"] and f["kind"] == "file" and "open" in f["ops"]):
        problems.append(f"{p!r}: recorded as {f}")
    if f["path"] != d.decode() + "/" + lossy:
        problems.append(f"{p!r}: readable form is {f['path']!r}")
    if f.get("path_hex") != p.hex():
        problems.append(f"{p!r}: path_hex is {f.get('path_hex')!r}")
u = files.get(d + "/caf\u00e9".encode())
if not u or "path_hex" in u or u["path"] != d.decode() + "/caf\u00e9":
    problems.append(f"UTF-8 name café: expected as it is without path_hex, got {u}")
# a _hex twin only where the name is not UTF-8
for f in doc["files"]:
    if "path_hex" in f:
        try:
            bytes.fromhex(f["path_hex"]).decode("utf-8")
            problems.append(f"path_hex on a UTF-8 name: {f}")
        except UnicodeDecodeError:
            pass
cats = [e for e in doc["execs"] if e["path"].endswith("/cat")]
if not cats or exact_list(cats[0], "argv") != [b"cat", d + b"/caf\xe9"]:
    problems.append(f"exec of cat: argv not exact: {cats}")
if exact_list(doc, "command")[1:] != [b"latin1", d]:
    problems.append(f"command: {doc['command']}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
