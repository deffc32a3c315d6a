# Helpers for the ldd tests and bench (sourced after tests/integration/lib.sh or alone).
# ldd_tree NAME [debian_image options]: a directory with the image's single layer unpacked,
# cached next to the image cache ($DISTILL_IMAGE_CACHE/../trees/NAME).
ldd_tree() {
  local name=$1; shift
  local top; top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local cache=${DISTILL_IMAGE_CACHE:-$top/build/cache/images}
  local layout; layout=$(bash "$top/tests/fixtures/debian-image.sh" "$name" "$@") || return 1
  local trees; trees=$(cd "$cache/.." && pwd)/trees
  mkdir -p "$trees"
  (
    flock 9
    if [ ! -d "$trees/$name" ]; then
      local mdig blob tmp
      mdig=$(jq -r '.manifests[0].digest' "$layout/index.json" | cut -d: -f2)
      blob=$(jq -r '.layers[0].digest' "$layout/blobs/sha256/$mdig" | cut -d: -f2)
      tmp=$(mktemp -d "$trees/.$name.XXXXXX")
      tar -xzf "$layout/blobs/sha256/$blob" -C "$tmp" 2>/dev/null || { rm -rf "$tmp"; exit 1; }
      mv "$tmp" "$trees/$name"
    fi
  ) 9>"$trees/.$name.lock" || return 1
  echo "$trees/$name"
}

# ldd_sets_from_distill: "FILE:" headers and tab-indented lines (ldd format) on stdin ->
# "FILE<TAB>ITEM" lines, ITEM being the resolved path or "NAME => not found".
ldd_sets_from_distill() {
  awk '/^[^\t].*:$/ { f = substr($0, 1, length($0) - 1); print f "\t"; next }
       /^\t/ { sub(/^\t/, ""); sub(/ \(.*\)$/, "");
               if ($0 ~ / => not found/) { sub(/ => not found.*/, " => not found"); print f "\t" $0 }
               else if ($0 ~ / => /) { sub(/^.* => /, ""); print f "\t" $0 }
               else if ($0 !~ /^(statically linked|not a dynamic executable)$/) print f "\t" $0 }'
}

# ldd_sets_from_ldd FILE: the same from `ldd` output on stdin (addresses dropped). The vDSO
# line is not a file (the kernel maps it), so it is left out.
ldd_sets_from_ldd() {
  awk -v f="$1" 'BEGIN { print f "\t" }
       /^\t/ { sub(/^\t/, ""); sub(/ \(0x[0-9a-f]*\)$/, "");
               if ($0 ~ /^linux-(vdso|gate)\.so/) next
               if ($0 ~ / => not found/) { print f "\t" $0; next }
               if ($0 ~ / => /) { sub(/^.* => /, ""); print f "\t" $0; next }
               if ($0 !~ /^(statically linked|not a dynamic executable)$/) print f "\t" $0 }'
}

# ldd_compare A B: A and B are "FILE<TAB>ITEM" lists; prints differing files and, last,
# "SAME TOTAL".
ldd_compare() {
  awk -F'\t' 'FNR == 1 { which++ }
    { if ($2 != "") set[which, $1] = set[which, $1] "\n" $2; files[$1] = 1 }
    END {
      for (f in files) {
        total++
        n1 = split(set[1, f], a, "\n"); n2 = split(set[2, f], b, "\n")
        delete ha; delete hb; d = ""
        for (i = 1; i <= n1; i++) if (a[i] != "") ha[a[i]] = 1
        for (i = 1; i <= n2; i++) if (b[i] != "") hb[b[i]] = 1
        for (k in ha) if (!(k in hb)) d = d " -" k
        for (k in hb) if (!(k in ha)) d = d " +" k
        if (d == "") same++; else print "DIFF " f ":" d
      }
      print same + 0, total + 0
    }' "$1" "$2"
}

# lddtree_fixed ARGS...: pax-utils lddtree with one bug corrected. With --root, lddtree
# expands $ORIGIN to the directory of the file *including* the root prefix and then
# prepends the root again, so every $ORIGIN path (glibc's gconv modules need
# $ORIGIN/libJIS.so...) is "not found" for it, while the loader finds them (the chroot
# comparison with the real ldd agrees with us on those files). Only that is changed.
lddtree_fixed() {
  /usr/bin/python3 - "$@" <<'PY'
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("lddtree", "/usr/bin/lddtree")
spec = importlib.util.spec_from_loader("lddtree", loader)
lt = importlib.util.module_from_spec(spec)
loader.exec_module(lt)
orig = lt.ParseLdPaths
def fixed(str_ldpaths, root="", cwd=None, path=""):
    r = (root or "").rstrip("/")
    if r and path.startswith(r + "/"):
        path = path[len(r):]
    return orig(str_ldpaths, root=root, cwd=cwd, path=path)
lt.ParseLdPaths = fixed
sys.exit(lt.main(sys.argv[1:]))
PY
}
