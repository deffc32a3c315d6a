#!/usr/bin/env bash
# distill ldd on real Debian trees, file by file against the real loader (`ldd` in a
# chroot of the tree), on a foreign-architecture tree against lddtree, and on hostile input.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ldd_lib.sh"

# --- the command line ------------------------------------------------------------
out=$("$DISTILL" ldd --help); rc=$?
check_eq "ldd --help exits 0" 0 $rc
check_eq "ldd --help prints usage" "Usage: distill ldd" "$(echo "$out" | head -1 | cut -c1-18)"
"$DISTILL" ldd >/dev/null 2>&1; check_eq "ldd without FILE is a usage error" 2 $?
"$DISTILL" ldd --bogus x >/dev/null 2>&1; check_eq "ldd unknown flag is a usage error" 2 $?

# --- hostile input: a tree we build ourselves -------------------------------------
R=$T/root
mkdir -p "$R/usr/lib/x86_64-linux-gnu" "$R/lib64" "$R/app/lib" "$R/etc"
cp /usr/lib/x86_64-linux-gnu/libc.so.6 "$R/usr/lib/x86_64-linux-gnu/"
cp /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
printf '\177ELF\002\001\001\000garbage' > "$R/app/trunc"
head -c 3000 /usr/bin/true > "$R/app/cut"
"$DISTILL" ldd --root "$R" /app/trunc > "$T/o" 2> "$T/e"; rc=$?
check_eq "truncated ELF: exit 3" 3 $rc
check "truncated ELF: message names the file" grep -q '/app/trunc' "$T/e"
"$DISTILL" ldd --root "$R" /app/cut > "$T/o" 2> "$T/e"; rc=$?
check_eq "ELF cut after 3000 bytes: exit 3" 3 $rc
"$DISTILL" ldd --root "$R" /app/nope > /dev/null 2>&1; check_eq "missing file: exit 3" 3 $?
echo 'hello' > "$R/app/text"
check_eq "non-ELF: like ldd" "	not a dynamic executable" "$("$DISTILL" ldd --root "$R" /app/text)"

# A program with RUNPATH=$ORIGIN/../lib, a library reached through a symlink that points
# outside with an absolute target (must resolve inside the root), and a missing library.
if command -v cc >/dev/null; then
  echo 'int puts(const char *); int foo(void){return puts("x");}' > "$T/foo.c"
  echo 'int bar(void){return 2;}' > "$T/bar.c"
  echo 'int foo(void); int bar(void); int main(void){return foo()+bar();}' > "$T/main.c"
  cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "$R/app/lib/libfoo.so.1" "$T/foo.c"
  cc -shared -fPIC -Wl,-soname,libbar.so.1 -o "$T/libbar.so.1" "$T/bar.c"
  mkdir -p "$R/opt/real"
  cp "$T/libbar.so.1" "$R/opt/real/libbar.so.1"
  ln -s /opt/real/libbar.so.1 "$R/app/lib/libbar.so.1"     # absolute: inside the root
  cc -o "$R/app/bin-main" "$T/main.c" "$R/app/lib/libfoo.so.1" "$T/libbar.so.1" -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
  out=$("$DISTILL" ldd --root "$R" /app/bin-main); rc=$?
  check_eq "\$ORIGIN runpath: exit 0" 0 $rc
  check "\$ORIGIN runpath finds libfoo" grep -q 'libfoo.so.1 => /app/lib/libfoo.so.1' <<<"$out"
  check "absolute symlink stays in the root" grep -q 'libbar.so.1 => /app/lib/libbar.so.1' <<<"$out"
  json=$("$DISTILL" ldd --root "$R" --json /app/bin-main)
  check_eq "json: libfoo found by runpath" runpath "$(jq -r '.results[0].libraries[] | select(.name=="libfoo.so.1") | .found_by' <<<"$json")"
  check_eq "json: symlink and target both kept" "/app/lib/libbar.so.1 /opt/real/libbar.so.1" \
    "$(jq -r '.results[0].files[]' <<<"$json" | grep bar | sort | tr '\n' ' ' | sed 's/ $//')"
  rm "$R/opt/real/libbar.so.1"
  out=$("$DISTILL" ldd --root "$R" /app/bin-main); rc=$?
  check_eq "missing library: exit 1" 1 $rc
  check "missing library: not found" grep -q 'libbar.so.1 => not found' <<<"$out"
  # The host's own copy must not be used: ld.so.cache of the host is not read.
  check_fails "host libraries never leak in" grep -q '=> /usr/lib/x86_64-linux-gnu/libbar' <<<"$out"
  tree=$("$DISTILL" ldd --root "$R" --tree /app/bin-main)
  check "tree shows libc under libfoo" grep -qE '^        libc.so.6 => ' <<<"$tree"
else
  skip "compiled fixtures: no cc"
fi

# --- musl: a tree with Debian's musl loader, compared with musl's own ldd ------------
if command -v musl-gcc >/dev/null && [ -f /usr/lib/x86_64-linux-musl/libc.so ]; then
  M=$T/musl
  mkdir -p "$M/lib" "$M/opt/m" "$M/opt/r" "$M/app" "$M/etc"
  cp /usr/lib/x86_64-linux-musl/libc.so "$M/lib/ld-musl-x86_64.so.1"
  echo 'int puts(const char *); int mq(void){return puts("q");}' > "$T/mq.c"
  echo 'int puts(const char *); int mr(void){return puts("r");}' > "$T/mr.c"
  echo 'int mq(void); int mr(void); int main(void){return mq()+mr();}' > "$T/mm.c"
  musl-gcc -shared -fPIC -Wl,-soname,libmq.so -o "$M/opt/m/libmq.so" "$T/mq.c"
  musl-gcc -shared -fPIC -Wl,-soname,libmr.so -o "$M/opt/r/libmr.so" "$T/mr.c"
  musl-gcc -o "$M/app/mprog" "$T/mm.c" "$M/opt/m/libmq.so" "$M/opt/r/libmr.so" -Wl,-rpath,/opt/r
  echo /opt/m > "$M/etc/ld-musl-x86_64.path"
  out=$("$DISTILL" ldd --root "$M" /app/mprog); rc=$?
  check_eq "musl: exit 0" 0 $rc
  { echo "/app/mprog:"; echo "$out"; } | ldd_sets_from_distill > "$T/musl.d"
  chroot "$M" /lib/ld-musl-x86_64.so.1 --list /app/mprog 2>&1 | ldd_sets_from_ldd /app/mprog > "$T/musl.l"
  check_eq "musl: same set as musl's ldd" "1 1" "$(ldd_compare "$T/musl.d" "$T/musl.l" | tail -1)"
  check_eq "musl: loader flavour" musl "$("$DISTILL" ldd --root "$M" --json /app/mprog | jq -r '.results[0].loader')"
  check_eq "musl: libmq from ld-musl-x86_64.path" musl_path \
    "$("$DISTILL" ldd --root "$M" --json /app/mprog | jq -r '.results[0].libraries[] | select(.name=="libmq.so") | .found_by')"
else
  skip "musl: musl-gcc not installed (scripts/install-deps.sh installs musl-tools)"
fi

# --- real Debian trees vs the real loader ----------------------------------------
compare_with_ldd() { # NAME DIR
  local name=$1 dir=$2
  "$DISTILL" ldd --root "$dir" --all > "$T/$name.distill" 2> "$T/$name.err"
  local rc=$?
  [ $rc -le 1 ] || { fail "$name: distill ldd --all exited $rc: $(head -3 "$T/$name.err")"; return; }
  ldd_sets_from_distill < "$T/$name.distill" > "$T/$name.d"
  : > "$T/$name.l"
  local f
  for f in $(cut -f1 "$T/$name.d" | sort -u); do
    chroot "$dir" /usr/bin/ldd "$f" 2>/dev/null | ldd_sets_from_ldd "$f" >> "$T/$name.l"
  done
  ldd_compare "$T/$name.d" "$T/$name.l" > "$T/$name.cmp"
  local same total
  read -r same total < <(tail -1 "$T/$name.cmp")
  echo "$name: $same/$total identical"
  grep '^DIFF' "$T/$name.cmp" | head -20
  if [ "$total" -gt 100 ] && [ "$same" = "$total" ]; then ok "$name: $same/$total identical to ldd in a chroot"
  else fail "$name: $same/$total identical to ldd in a chroot"; fi
}
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$TOP/build/cache/images}
# Base system plus the i386 multiarch libc/zlib/libssl/libstdc++: the ld.so.cache holds both
# classes under the same names, and the i386 files are checked with the i386 loader.
if d=$(ldd_tree ldd-amd64-i386-multiarch --arch amd64,i386 \
         --include libc6:i386,zlib1g:i386,libssl3:i386,libstdc++6:i386,libgcc-s1:i386); then
  compare_with_ldd amd64-i386-multiarch "$d"
else fail "amd64+i386 tree could not be built"; fi
if d=$(ldd_tree ldd-python3-nginx-ssl --include python3,nginx-light,libssl3,openssl,curl); then
  compare_with_ldd python3-nginx-ssl "$d"
else fail "python3-nginx-ssl tree could not be built"; fi
# The same tree with an /etc/ld.so.preload (a name, a path, and a missing one: the loader loads the
# first two into every program before its own needs and skips the third): an overlay over the cached
# tree so the cache stays as it is.
if [ -n "${d:-}" ] && [ -d "$d/etc" ]; then
  P=$T/preload; mkdir -p "$P/upper/etc" "$P/work" "$P/merged"
  printf 'libz.so.1\n/usr/lib/x86_64-linux-gnu/libcrypt.so.1 libnotthere.so.9\n' > "$P/upper/etc/ld.so.preload"
  if mount -t overlay overlay -o "lowerdir=$d,upperdir=$P/upper,workdir=$P/work" "$P/merged"; then
    compare_with_ldd preload "$P/merged"
    check "preload: libz listed for a program that does not need it" \
      grep -q "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1\|libz.so.1 => /usr/lib/x86_64-linux-gnu/libz.so.1" \
      <("$DISTILL" ldd --root "$P/merged" /usr/bin/true)
    check_fails "preload: not in the tree without it" grep -q "libz.so.1" <("$DISTILL" ldd --root "$d" /usr/bin/true)
    umount "$P/merged"
  else fail "preload: overlay mount over the tree"; fi
fi

# --- --image: the same answers from the image itself (unpacked to a temporary root) ----
if layout=$(debian_image base-apt) && d=$(ldd_tree base-apt); then
  a=$("$DISTILL" ldd --image "oci:$layout" /usr/bin/apt /usr/bin/gpgv 2>&1); rc=$?
  check_eq "--image: exit 0" 0 $rc
  check_eq "--image agrees with --root on the unpacked layer" "$("$DISTILL" ldd --root "$d" /usr/bin/apt /usr/bin/gpgv)" "$a"
  # The same image with LD_LIBRARY_PATH in its config Env: a new config, manifest and index
  # (the layer blob is shared through a hard-linked copy of the layout).
  I=$T/llp-image
  cp -al "$layout" "$I"
  mdig=$(jq -r '.manifests[0].digest' "$I/index.json" | cut -d: -f2)
  cdig=$(jq -r '.config.digest' "$I/blobs/sha256/$mdig" | cut -d: -f2)
  jq -c '.config.Env += ["LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu"]' "$I/blobs/sha256/$cdig" > "$T/cfg"
  nc=$(sha256sum "$T/cfg" | cut -d' ' -f1); cp "$T/cfg" "$I/blobs/sha256/$nc"
  jq -c --arg d "sha256:$nc" --argjson s "$(stat -c %s "$T/cfg")" '.config.digest = $d | .config.size = $s' \
    "$I/blobs/sha256/$mdig" > "$T/man"
  nm=$(sha256sum "$T/man" | cut -d' ' -f1); cp "$T/man" "$I/blobs/sha256/$nm"
  rm "$I/index.json"
  jq -c --arg d "sha256:$nm" --argjson s "$(stat -c %s "$T/man")" '.manifests[0].digest = $d | .manifests[0].size = $s' \
    "$layout/index.json" > "$I/index.json"
  j=$("$DISTILL" ldd --image "oci:$I" --json /usr/bin/gpgv)
  check_eq "--image: LD_LIBRARY_PATH from the config Env is used" \
    "ld_library_path /usr/lib/x86_64-linux-gnu/libc.so.6" \
    "$(jq -r '.results[0].libraries[] | select(.name=="libc.so.6") | "\(.found_by) \(.path)"' <<<"$j")"
  j=$("$DISTILL" ldd --image "oci:$I" --ld-library-path /nowhere --json /usr/bin/gpgv)
  check_eq "--image: --ld-library-path overrides the Env" "ld.so.cache" \
    "$(jq -r '.results[0].libraries[] | select(.name=="libc.so.6") | .found_by' <<<"$j")"
fi

# --- foreign architectures: nothing runs, compare with lddtree --root ------------------
# libc-bin is included for its /etc/ld.so.conf: without it lddtree has no search path for
# files that have no interpreter (libraries), while the loader has built-in defaults.
compare_with_lddtree() { # LABEL DIR EXPECTED-LIBC-LINE
  local name=$1 d=$2 libc=$3 rc n same total
  "$DISTILL" ldd --root "$d" --all > "$T/$name.distill" 2>"$T/$name.err"; rc=$?
  n=$(grep -c ':$' "$T/$name.distill")
  check_eq "$name: every ELF resolves (exit 0)" 0 $rc
  check_eq "$name: no 'not found' among $n files" 0 "$(grep -c 'not found' "$T/$name.distill")"
  check "$name: $libc" grep -qF "$libc" "$T/$name.distill"
  if ! /usr/bin/python3 -c 'import elftools' 2>/dev/null; then
    fail "$name: lddtree needs python3-pyelftools (scripts/install-deps.sh installs it)"; return
  fi
  # Both sides as real paths inside the tree (lddtree and the loader pick different
  # spellings of the same file through the /lib -> usr/lib symlink).
  local files
  mapfile -t files < <(grep ':$' "$T/$name.distill" | tr -d :)
  lddtree_fixed --root "$d" "${files[@]}" > "$T/$name.lddtree" 2>/dev/null
  ldd_sets_from_distill < "$T/$name.distill" > "$T/$name.d0"
  ROOT=$d /usr/bin/python3 - "$T/$name.d0" "$T/$name.lddtree" "$T/$name.d" "$T/$name.l" <<'PY'
import os, sys
root = os.environ["ROOT"]
def real(p):  # resolve inside the root, never outside
    parts, out, n = [x for x in p.split("/") if x], [], 0
    while parts:
        c = parts.pop(0)
        if c in ("", "."): continue
        if c == "..": out = out[:-1]; continue
        q = "/".join(out + [c])
        full = os.path.join(root, q)
        if os.path.islink(full) and n < 40:
            n += 1; t = os.readlink(full)
            if t.startswith("/"): out = []
            parts = [x for x in t.split("/") if x] + parts
        else: out.append(c)
    return "/" + "/".join(out)
with open(sys.argv[3], "w") as o:
    for line in open(sys.argv[1]):
        f, item = line.rstrip("\n").split("\t")
        o.write(f"{f}\t{real(item) if item.startswith('/') else item}\n")
with open(sys.argv[4], "w") as o:
    f = None
    for line in open(sys.argv[2]):
        line = line.rstrip("\n")
        if not line.startswith(" "):
            head, _, rest = line.partition(" (interpreter => ")
            f = head[len(root):]; o.write(f"{f}\t\n")
            interp = rest.rstrip(")")
            if interp and interp != "None": o.write(f"{f}\t{real(interp[len(root):])}\n")
        else:
            name, _, path = line.strip().partition(" => ")
            o.write(f"{f}\t{name + ' => not found' if path in ('None', '') else real(path[len(root):])}\n")
PY
  ldd_compare "$T/$name.d" "$T/$name.l" > "$T/$name.cmp"
  read -r same total < <(tail -1 "$T/$name.cmp")
  echo "$name: $same/$total identical to lddtree"
  grep '^DIFF' "$T/$name.cmp" | head -20
  if [ "$total" -gt 100 ] && [ "$same" = "$total" ]; then ok "$name: $same/$total identical to lddtree --root"
  else fail "$name: $same/$total identical to lddtree --root"; fi
}
if d=$(ldd_tree ldd-arm64-extract-libcbin --variant extract --arch arm64 \
         --include libc6,libc-bin,libssl3,zlib1g,libstdc++6,coreutils,bash,python3.11-minimal,curl,openssl); then
  compare_with_lddtree arm64 "$d" "libc.so.6 => /lib/aarch64-linux-gnu/libc.so.6"
else fail "arm64 tree could not be built"; fi
# Big-endian 64-bit, and 32-bit ARM hard-float.
for arch in s390x armhf; do
  case $arch in s390x) libc="libc.so.6 => /lib/s390x-linux-gnu/libc.so.6";; armhf) libc="libc.so.6 => /lib/arm-linux-gnueabihf/libc.so.6";; esac
  if d=$(ldd_tree ldd-$arch-extract --variant extract --arch $arch --include libc6,libc-bin,zlib1g,libssl3,coreutils,libstdc++6); then
    compare_with_lddtree "$arch" "$d" "$libc"
  else fail "$arch tree could not be built"; fi
done
