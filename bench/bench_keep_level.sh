#!/usr/bin/env bash
# --keep-level package against file on the held-out fixtures (tests/integration/test_build_heldout.sh:
# Flask, Express, PostgreSQL with and without a Volume; test_build_heldout_scripts.sh: a Perl and
# a Ruby app), side by side in one run:
#   size at package level / file level (aim <= 1.3x, never over 1.5x), / the source (aim <= 0.35x),
#   the share of held-out actions that pass at each level (aim 100% at package level),
#   build time package / file (aim <= 1.1x): wall total, the stages the level changes (closure,
#   candidate, write), and the closure alone (report.json keep_level.seconds against its own
#   file-level pass, keep_level.file_level_seconds: the same run, so no machine noise).
#   unpack, trace and verify run the same work at both levels; on a shared machine they are
#   mostly noise: BENCH_RUNS=N (default 1) builds every fixture N times at each level and takes
#   the medians (odd runs build the package level first, even runs the file level).
# Needs root, runc, podman, skopeo and psql (as the test does). HELDOUT_PORT_BASE moves the ports.
set -uo pipefail
cd "$(dirname "$0")/.."
export DISTILL_IMAGE_CACHE=${DISTILL_IMAGE_CACHE:-$PWD/build/cache/images}
w=$(mktemp -d "${TMPDIR:-/var/tmp}/distill-bench-keep.XXXXXX"); trap 'rm -rf "$w"' EXIT
runs=${BENCH_RUNS:-1}
for r in $(seq "$runs"); do
  # the level built first alternates: a fixture's first build after its image is warmed
  # runs its app on a colder page cache, which would count against one level only
  if [ $((r % 2)) = 1 ]; then export HO_LEVELS="package file"; else export HO_LEVELS="file package"; fi
  HELDOUT_SUMMARY=$w/summary.$r HELDOUT_REPORTS=$w/reports.$r RESULTS=$w/results.$r \
    bash tests/integration/test_build_heldout.sh > "$w/log.$r" 2>&1
  # the Perl and Ruby apps (standard libraries at module level), into the same summary
  HELDOUT_SUMMARY=$w/summary.$r HELDOUT_REPORTS=$w/reports.$r RESULTS=$w/results.$r \
    bash tests/integration/test_build_heldout_scripts.sh >> "$w/log.$r" 2>&1
  echo "run $r: $(grep -c '^ok' "$w/results.$r") checks passed, $(grep -c '^fail' "$w/results.$r") failed"
  grep '^FAIL' "$w/log.$r" || true
done
python3 - "$w" "$runs" <<'PY'
import json, os, statistics, sys
w, runs = sys.argv[1], int(sys.argv[2])
med = statistics.median
rep = {}  # (fixture, level) -> [report per run]
held = {}
for r in range(1, runs + 1):
    d = os.path.join(w, "reports.%d" % r)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        x, lv = f[:-5].rsplit("-", 1)
        rep.setdefault((x, lv), []).append(json.load(open(os.path.join(d, f))))
    for line in open(os.path.join(w, "summary.%d" % r)):
        f = line.split()
        if len(f) == 4 and f[1] in ("package", "file") and r == 1:
            held[(f[0], f[1])] = (int(f[2]), int(f[3]))
fx = sorted({x for x, _ in rep})
print("%-6s %9s %8s %8s %7s %7s %8s %8s %7s %7s %7s" % ("fixture", "source MB", "file MB", "pkg MB", "pkg/file",
      "pkg/src", "held pkg", "held file", "wall", "stages", "closure"))
tot = {"package": [0, 0], "file": [0, 0]}
sz, tm = [], []
for x in fx:
    P, F = rep.get((x, "package")), rep.get((x, "file"))
    if not P or not F: continue
    b = lambda R: R[0]["after"]["size"]
    t = lambda R, k: med([q["timings"].get(k, 0) for q in R])
    st = lambda R: med([sum(q["timings"].get(s, 0) for s in ("closure", "candidate", "write")) for q in R])
    hp, hf = held.get((x, "package"), (0, 0)), held.get((x, "file"), (0, 0))
    for lv, h in (("package", hp), ("file", hf)):
        tot[lv][0] += h[0]; tot[lv][1] += h[1]
    kl = [q["keep_level"] for q in P]
    closure = med([k.get("seconds", 0) for k in kl]) / max(med([k.get("file_level_seconds", 0) for k in kl]), 1e-9)
    src = P[0]["before"]["size"]
    sz.append(b(P) / b(F)); tm.append(t(P, "total") / t(F, "total"))
    print("%-6s %9.1f %8.1f %8.1f %6.2fx %6.2fx %4d/%-3d %4d/%-3d %6.2fx %6.2fx %6.1fx" % (x, src / 1e6, b(F) / 1e6,
          b(P) / 1e6, b(P) / b(F), b(P) / src, hp[0], hp[1], hf[0], hf[1], t(P, "total") / t(F, "total"),
          st(P) / st(F), closure))
    print("        median s, package: " + " ".join("%s %.2f" % (k, t(P, k)) for k in P[0]["timings"]))
    print("        median s, file:    " + " ".join("%s %.2f" % (k, t(F, k)) for k in F[0]["timings"]))
    k = kl[0]
    print("        closure %.2f s, of which its file-level pass %.2f s" % (k.get("seconds", 0), k.get("file_level_seconds", 0)))
    top = sorted(k.get("packages", []), key=lambda p: p["file_level_bytes"] - p["kept_bytes"])[:5]
    print("        most bytes over file level: " + ", ".join("%s +%.1f MB" % (p["name"], (p["kept_bytes"] - p["file_level_bytes"]) / 1e6) for p in top))
    print("        rules (MB added): " + ", ".join("%s %.1f" % (r, v / 1e6) for r, v in k.get("rules", {}).items() if v))
    lo = dict(k.get("left_out", {})); lo.update({"docs " + c: v for c, v in k.get("docs_left_out", {}).items()})
    lo["programs of library packages"] = k.get("programs_left_out_bytes", 0)
    for p in k.get("plugins_left_out", []): lo["plugin " + p["path"].rsplit("/", 1)[-1]] = p["adds_bytes"]
    print("        left out (MB): " + ", ".join("%s %.1f" % (c, v / 1e6) for c, v in lo.items() if v))
for lv in ("package", "file"):
    p, n = tot[lv]
    print("held-out actions at %s level: %d of %d pass (%.0f%%)" % (lv, p, n, 100.0 * p / n if n else 0))
if sz: print("size package/file: max %.2fx; build wall package/file: max %.2fx (%d run(s))" % (max(sz), max(tm), runs))
PY
