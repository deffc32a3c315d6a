#!/usr/bin/env python3
"""Images for test_store.sh, written as OCI layouts.

  store_images.py stack BASE OUT NAME...   BASE's layers + one small layer per NAME:
      top-a: srv/a.txt, and etc/motd whited out; top-b: srv/b.txt; top-c: srv/c.txt
  store_images.py small OUT SEED           one layer of 1 MiB of bytes from SEED
  store_images.py bad-diffid OUT           one layer whose config diff_id is wrong
"""
import gzip, hashlib, io, json, os, random, shutil, sys, tarfile

OCI_MAN = "application/vnd.oci.image.manifest.v1+json"
GZ = "application/vnd.oci.image.layer.v1.tar+gzip"

def tar_of(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in entries:
            ti = tarfile.TarInfo(name); ti.mtime = 1700000000
            if data is None: ti.type = tarfile.DIRTYPE; ti.mode = 0o755; t.addfile(ti)
            else: ti.size = len(data); ti.mode = 0o644; t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def put(path, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(path, "blobs", "sha256", d), "wb") as f: f.write(data)
    return "sha256:" + d

def write(path, cfg, layers):
    craw = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": OCI_MAN,
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(path, craw), "size": len(craw)},
           "layers": layers}
    mraw = json.dumps(man).encode()
    idx = {"schemaVersion": 2, "manifests": [{"mediaType": OCI_MAN, "digest": put(path, mraw), "size": len(mraw),
           "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    with open(os.path.join(path, "oci-layout"), "w") as f: json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(path, "index.json"), "w") as f: json.dump(idx, f)

def blob(path, d): return os.path.join(path, "blobs", "sha256", d.split(":")[1])

def stack(base, out, names):
    idx = json.load(open(os.path.join(base, "index.json")))
    man = json.load(open(blob(base, idx["manifests"][0]["digest"])))
    cfg = json.load(open(blob(base, man["config"]["digest"])))
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    for l in man["layers"]:
        dst = blob(out, l["digest"])
        if not os.path.exists(dst):
            try: os.link(blob(base, l["digest"]), dst)
            except OSError: shutil.copy(blob(base, l["digest"]), dst)
    layers = list(man["layers"])
    for n in names:
        ents = {"top-a": [("srv/", None), ("srv/a.txt", b"a\n"), ("etc/.wh.motd", b"")],
                "top-b": [("srv/", None), ("srv/b.txt", b"b\n")],
                "top-c": [("srv/", None), ("srv/c.txt", b"c\n")]}[n]
        raw = tar_of(ents)
        gz = gzip.compress(raw, mtime=0)
        layers.append({"mediaType": GZ, "digest": put(out, gz), "size": len(gz)})
        cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw).hexdigest())
        cfg.setdefault("history", []).append({"created_by": n})
    write(out, cfg, layers)

def single(out, raw, diff):
    gz = gzip.compress(raw, mtime=0)
    cfg = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": [diff]}, "history": [{"created_by": "one"}]}
    write(out, cfg, [{"mediaType": GZ, "digest": put(out, gz), "size": len(gz)}])

cmd = sys.argv[1]
if cmd == "stack": stack(sys.argv[2], sys.argv[3], sys.argv[4:])
elif cmd == "small":
    r = random.Random(sys.argv[3])
    raw = tar_of([("data.bin", r.randbytes(1 << 20))])
    single(sys.argv[2], raw, "sha256:" + hashlib.sha256(raw).hexdigest())
elif cmd == "bad-diffid":
    raw = tar_of([("f", b"x\n")])
    single(sys.argv[2], raw, "sha256:" + "0" * 64)
else: raise SystemExit("unknown command " + cmd)
