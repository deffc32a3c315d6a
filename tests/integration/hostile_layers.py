#!/usr/bin/env python3
"""Writes OCI layouts (ref "latest") whose layers are hostile tars, for
test_hostile_layers.sh.  Usage: hostile_layers.py OUTDIR SENTINEL CASE...

Each layer is a list of entries: (kind, name, arg) with kind one of
file (arg: bytes), dir, symlink (arg: target), hardlink (arg: target),
chr/blk (arg: (major, minor)), fifo, or ('raw', bytes) for a whole blob
(already compressed: no gzip added).  SENTINEL is an absolute host path that
symlinks aim at: nothing may ever be written there."""
import gzip, hashlib, io, json, os, sys, tarfile

def tar_bytes(entries, fmt=tarfile.PAX_FORMAT, encoding="utf-8"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding=encoding) as t:
        for ent in entries:
            kind, name = ent[0], ent[1]
            arg = ent[2] if len(ent) > 2 else None
            mode = ent[3] if len(ent) > 3 else None
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            data = None
            if kind == "file":
                data = arg if isinstance(arg, (bytes, bytearray)) else b""
                ti.size = len(data); ti.mode = 0o644
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE; ti.mode = 0o755
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE; ti.linkname = arg; ti.mode = 0o777
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE; ti.linkname = arg; ti.mode = 0o644
            elif kind in ("chr", "blk"):
                ti.type = tarfile.CHRTYPE if kind == "chr" else tarfile.BLKTYPE
                ti.devmajor, ti.devminor = arg; ti.mode = 0o600
            elif kind == "fifo":
                ti.type = tarfile.FIFOTYPE; ti.mode = 0o644
            else:
                raise SystemExit("unknown kind " + kind)
            if mode is not None:
                ti.mode = mode
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()

def zero_stream_gzip(size):
    """A tar with one file of `size` zero bytes, gzipped without holding it in memory."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        ti = tarfile.TarInfo("zeros.bin"); ti.size = size; ti.mtime = 0
        gz.write(ti.tobuf(tarfile.GNU_FORMAT))
        chunk = bytes(1 << 20)
        left = size
        while left:
            n = min(left, len(chunk)); gz.write(chunk[:n]); left -= n
        pad = (512 - size % 512) % 512
        gz.write(bytes(pad + 1024))
    return out.getvalue()

def write_layout(path, blobs, history=None):
    """blobs: list of (compressed bytes, diff_id hex, media type)."""
    os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
    def put(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(path, "blobs", "sha256", d), "wb") as f:
            f.write(data)
        return d
    layers = []
    for data, diff, mt in blobs:
        layers.append({"mediaType": mt, "digest": "sha256:" + put(data), "size": len(data)})
    cfg = {"architecture": "amd64", "os": "linux", "config": {},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for _, d, _ in blobs]},
           "history": history or [{"created_by": "layer %d" % (i + 1)} for i in range(len(blobs))]}
    craw = json.dumps(cfg).encode()
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": "sha256:" + put(craw), "size": len(craw)},
           "layers": layers}
    mraw = json.dumps(man).encode()
    idx = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": "sha256:" + put(mraw), "size": len(mraw),
           "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
    with open(os.path.join(path, "index.json"), "w") as f: json.dump(idx, f)
    with open(os.path.join(path, "oci-layout"), "w") as f: f.write('{"imageLayoutVersion":"1.0.0"}')

GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
TAR = "application/vnd.oci.image.layer.v1.tar"

def gz_layer(entries, fmt=tarfile.PAX_FORMAT, encoding="utf-8"):
    raw = tar_bytes(entries, fmt, encoding)
    return (gzip.compress(raw, mtime=0), hashlib.sha256(raw).hexdigest(), GZ)

def cases(sent):
    long_comp = "d" * 100
    path_5000 = "/".join([long_comp] * 50)          # 5049 chars
    path_4000 = "/".join([long_comp] * 39) + "/f"   # 3940 chars: legal
    c = {
        "dotdot": [[("file", "../../escape", b"x")]],
        "dotdot-mid": [[("dir", "a/"), ("file", "a/../../escape-mid", b"x")]],
        "abs": [[("file", "/abs/escape", b"x")]],
        "symlink-root": [[("symlink", "x", "/"), ("file", "x/tmp/pwned-by-distill-test", b"x")]],
        "symlink-up": [[("symlink", "y", "../../.."), ("file", "y/escape-up", b"x")]],
        "symlink-sentinel": [[("symlink", "s", sent), ("file", "s/owned", b"x")]],
        "symlink-sentinel-2layers": [[("symlink", "s", sent)], [("file", "s/owned2", b"x")]],
        "hardlink-shadow": [[("hardlink", "h", "/etc/shadow")]],
        "hardlink-shadow-intree": [[("file", "etc/shadow", b"in-tree"), ("hardlink", "h", "/etc/shadow")]],
        "hardlink-up": [[("hardlink", "h2", "../../outside")]],
        "hardlink-via-symlink": [[("symlink", "s", sent), ("hardlink", "h3", "s/keepme")]],
        "symlink-then-dir": [[("symlink", "d", sent)], [("dir", "d/"), ("file", "d/f", b"inside")]],
        "symlink-then-dir-1layer": [[("symlink", "d", sent), ("dir", "d/"), ("file", "d/f", b"inside")]],
        "wh-dotdot": [[("file", "a", b"x")], [("file", ".wh...")]],
        "wh-through-symlink": [[("symlink", "l", sent), ("file", "k", b"x")], [("file", "l/.wh.keepme")]],
        "wh-through-rootlink": [[("file", "keep", b"x"), ("symlink", "r", "/")], [("file", "r/.wh.keep")]],
        "opq-through-symlink": [[("symlink", "o", sent)], [("file", "o/.wh..wh..opq")]],
        "devices": [[("chr", "dev/null2", (1, 3)), ("blk", "dev/disk0", (8, 0)), ("fifo", "run/fifo")]],
        "mode7777": [[("file", "bin/suid", b"#!x\n", 0o7777), ("dir", "sticky/", None, 0o1777)]],
        "parent-is-file": [[("file", "f", b"x"), ("file", "f/child", b"y")]],
        "longpath": [[("file", path_5000, b"x")]],
        "longpath-ok": [[("file", path_4000, b"ok")]],
        "longcomp": [[("file", "c" * 300, b"x")]],
        "newline-dotdot": [[("file", "evil\nname\x1b[31m/../../x", b"x")]],
        "newline-hardlink": [[("hardlink", "h", "evil\nlink\x1b[31m")]],
        "newline-wasted": [[("file", "evil\nline\x1b[2J", b"0123456789")], [("file", "evil\nline\x1b[2J", b"0123456789")]],
        # not root: lower directories without read/write bits, a device, a symlink out
        "nonroot": [[("dir", "ro/", None, 0o555), ("file", "ro/a", b"x", 0o444), ("dir", "nox/", None, 0o100),
                     ("chr", "dev/null2", (1, 3)), ("symlink", "x", "/"), ("file", "x/tmp/p", b"p")],
                    [("file", "ro/b", b"y"), ("file", "ro/.wh.a"), ("file", "nox/f", b"z")]],
        # 2040 levels, 4082 chars: legal, but past PATH_MAX once under a temp dir
        "deep": [[("file", "/".join(["a"] * 2040) + "/f", b"deep")]],
        "deep-wh": [[("file", "/".join(["a"] * 2040) + "/f", b"deep"), ("file", "keep", b"k")], [("file", ".wh.a")]],
        "deep-opq": [[("file", "/".join(["a"] * 2040) + "/f", b"deep")], [("file", ".wh..wh..opq"), ("file", "new", b"n")]],
    }
    return c

def main():
    out, sent, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    table = cases(sent)
    for name in names:
        path = os.path.join(out, name)
        if name in table:
            write_layout(path, [gz_layer(l) for l in table[name]])
        elif name == "nonutf8":  # a Latin-1 name (not UTF-8) in two layers: wasted
            l = [("file", "caf\xe9", b"0123456789")]
            write_layout(path, [gz_layer(l, tarfile.GNU_FORMAT, "latin-1"), gz_layer(l, tarfile.GNU_FORMAT, "latin-1")])
        elif name == "escape-names":  # terminal escapes, a newline, BEL, DEL and 8-bit CSI in names
            # and in a history entry: a setuid file (scan lists it, harden changes it) written
            # twice (layers lists it as wasted), a world-writable one, a busybox-named shell.
            evil = "usr/bin/e\x1b]0;pwned\x07\nFAKE LINE\x1b[2J\x7f\x9b" + "1m"
            l = [("dir", "usr/"), ("dir", "usr/bin/"), ("file", evil, b"0123456789", 0o4755),
                 ("file", "tmp\x1b[31mww", b"w", 0o666), ("file", "bin/sh\x1b[H", b"#!", 0o755)]
            hist = [{"created_by": "RUN \x1b[31mred\nforged line"}, {"created_by": "layer 2"}]
            write_layout(path, [gz_layer(l), gz_layer(l[2:3])], hist)
        elif name == "many":  # 100k tiny files in 100 directories
            ents = []
            for d in range(100):
                ents.append(("dir", "m%03d/" % d))
                ents.extend(("file", "m%03d/f%04d" % (d, i), b"%d" % i) for i in range(1000))
            write_layout(path, [gz_layer(ents, tarfile.GNU_FORMAT)])
        elif name.startswith("bomb-"):  # bomb-SIZE_MB: one file of zeros
            size = int(name[5:]) << 20
            blob = zero_stream_gzip(size)
            # diff_id of the tar: recompute by streaming the decompressed bytes
            h = hashlib.sha256()
            with gzip.GzipFile(fileobj=io.BytesIO(blob)) as g:
                for chunk in iter(lambda: g.read(1 << 20), b""): h.update(chunk)
            write_layout(path, [(blob, h.hexdigest(), GZ)])
        elif name.startswith("rand-"):  # rand-SIZE_MB: incompressible data
            write_layout(path, [gz_layer([("file", "random.bin", os.urandom(int(name[5:]) << 20))])])
        elif name == "truncated-gzip":
            data, diff, mt = gz_layer([("file", "big", os.urandom(200000))])
            write_layout(path, [(data[: len(data) // 2], diff, mt)])
        elif name == "truncated-tar":
            raw = tar_bytes([("file", "big", os.urandom(200000))])
            cut = raw[:100000]
            write_layout(path, [(cut, hashlib.sha256(cut).hexdigest(), TAR)])
        elif name == "garbage-after-tar":
            raw = tar_bytes([("file", "ok", b"fine")]) + os.urandom(4096)
            write_layout(path, [(gzip.compress(raw, mtime=0), hashlib.sha256(raw).hexdigest(), GZ)])
        elif name == "garbage-after-gzip":
            raw = tar_bytes([("file", "ok", b"fine")])
            blob = gzip.compress(raw, mtime=0) + b"\x00garbage" * 64
            write_layout(path, [(blob, hashlib.sha256(raw).hexdigest(), GZ)])
        elif name == "not-a-tar":
            raw = os.urandom(5000)
            write_layout(path, [(gzip.compress(raw, mtime=0), hashlib.sha256(raw).hexdigest(), GZ)])
        else:
            raise SystemExit("unknown case " + name)

main()
