#!/usr/bin/env python3
"""Images for test_store.sh, written as OCI layouts.

  store_images.py stack BASE OUT NAME...   BASE's layers + one small layer per NAME:
      top-a: srv/a.txt, and etc/motd whited out; top-b: srv/b.txt; top-c: srv/c.txt
      top-r: what a tree copy must get right: a file and a directory whited out, an opaque
             directory, a hard link pair, a symlink, a setuid file of 1234:5678, an xattr, a fifo
      top-s: on top-r: the symlink replaced by a directory, one of the hard links replaced, a
             directory of the base removed and made again (opaque in the store)
  store_images.py treesig DIR              every path of DIR with type, mode, owner, size,
      mtime, link count, target, xattrs and content hash (directories: type, mode, owner,
      xattrs only: their size and times depend on the filesystem and on when they changed)
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

def tar_rich(name):
    buf = io.BytesIO()
    def add(n, typ=tarfile.REGTYPE, data=b"", mode=0o644, **kw):
        ti = tarfile.TarInfo(n); ti.mtime = 1700000000; ti.type = typ; ti.mode = mode
        for k, v in kw.items(): setattr(ti, k, v)
        ti.size = len(data) if typ == tarfile.REGTYPE else 0
        t.addfile(ti, io.BytesIO(data) if typ == tarfile.REGTYPE else None)
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        if name == "top-r":
            add("etc/.wh.motd"); add("usr/share/.wh.man")
            add("usr/share/doc/", tarfile.DIRTYPE, mode=0o755); add("usr/share/doc/.wh..wh..opq")
            add("usr/share/doc/only.txt", data=b"only\n")
            add("srv/", tarfile.DIRTYPE, mode=0o750, uid=1234, gid=5678)
            add("srv/h1", data=b"linked\n"); add("srv/h2", tarfile.LNKTYPE, linkname="srv/h1")
            add("srv/ln", tarfile.SYMTYPE, linkname="../etc/hostname")
            add("srv/suid", data=b"#!/bin/sh\n", mode=0o4755, uid=1234, gid=5678)
            add("srv/x", data=b"x\n", pax_headers={"SCHILY.xattr.user.test": "hello"})
            add("srv/fifo", tarfile.FIFOTYPE, mode=0o600)
        else:  # top-s
            add("srv/.wh.ln"); add("srv/ln/", tarfile.DIRTYPE, mode=0o700); add("srv/ln/in", data=b"in\n")
            add("srv/h2", data=b"replaced\n")
            add("usr/share/.wh.common-licenses"); add("usr/share/common-licenses/", tarfile.DIRTYPE, mode=0o755)
            add("usr/share/common-licenses/MINE", data=b"mine\n")
    return buf.getvalue()

def treesig(top):
    out = []
    for d, dirs, files in os.walk(top):
        dirs.sort()
        for n in sorted(dirs + files) + ([] if d != top else ["."]):
            p = os.path.normpath(os.path.join(d, n)); st = os.lstat(p)
            x = sorted((k, os.getxattr(p, k, follow_symlinks=False).hex()) for k in os.listxattr(p, follow_symlinks=False))
            rel = os.path.relpath(p, top)
            if os.path.isdir(p) and not os.path.islink(p):
                out.append(f"{rel} d {st.st_mode:o} {st.st_uid}:{st.st_gid} {x}"); continue
            h = hashlib.sha256(open(p, "rb").read()).hexdigest() if os.path.isfile(p) and not os.path.islink(p) else ""
            ln = os.readlink(p) if os.path.islink(p) else ""
            out.append(f"{rel} {st.st_mode:o} {st.st_uid}:{st.st_gid} {st.st_size} {st.st_mtime_ns} {st.st_nlink} {st.st_rdev} {ln!r} {x} {h}")
    print("\n".join(sorted(set(out))))

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
        if n in ("top-r", "top-s"):
            raw = tar_rich(n); gz = gzip.compress(raw, mtime=0)
            layers.append({"mediaType": GZ, "digest": put(out, gz), "size": len(gz)})
            cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw).hexdigest())
            cfg.setdefault("history", []).append({"created_by": n})
            continue
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
elif cmd == "treesig": treesig(sys.argv[2])
elif cmd == "small":
    r = random.Random(sys.argv[3])
    raw = tar_of([("data.bin", r.randbytes(1 << 20))])
    single(sys.argv[2], raw, "sha256:" + hashlib.sha256(raw).hexdigest())
elif cmd == "bad-diffid":
    raw = tar_of([("f", b"x\n")])
    single(sys.argv[2], raw, "sha256:" + "0" * 64)
else: raise SystemExit("unknown command " + cmd)
