# Shared by the held-out scripts (test_build_heldout.sh, test_build_heldout_scripts.sh):
# build each fixture at a level, run the result under podman, try the held-out actions, and
# compare what the two levels' reports kept. Sourced after lib.sh; HO_NAME names the
# containers and images (distill-$HO_NAME-LABEL-LEVEL-PID).
SUMMARY=${HELDOUT_SUMMARY:-$T/summary}
declare -A PASSED TOTAL
jqq() { jq -e "$@" >/dev/null; }

# build LABEL IMAGE LEVEL TEST [FLAGS...]: build, and record the result's size.
build() {
  local label=$1 img=$2 level=$3 test=$4 out=$T/$1-$3
  shift 4
  mkdir -p "$out"
  sync # the previous build's and podman's writeback is not this build's time
  local t0=$(date +%s.%N)
  "$DISTILL" build "oci:$img:latest" "oci:$out/img:v1" --keep-level "$level" --test "$test" \
    --out-dir "$out/rep" -q "$@" >"$out.digest" 2>"$out.err"
  local rc=$?
  echo "$(echo "$(date +%s.%N) - $t0" | bc)" > "$out.seconds"
  check_eq "$label $level: build exits 0 (traced test passes on the candidate)" 0 $rc
  [ $rc = 0 ] || { sed 's/^/  | /' "$out.err" | tail -15; return 1; }
  grep -E 'kept [0-9]+ packages whole|keep level file' "$out.err" | sed 's/^/  /'
  echo "  $label $level: source $(jq .before.size "$out/rep/report.json") B, result $(jq .after.size "$out/rep/report.json") B, ${out##*/} built in $(cat "$out.seconds") s"
}

# warm IMAGE: its layers into the store before its builds, so that no level's build pays for
# unpacking them (the first build of an image would, and the bench compares their timings).
warm() {
  check "$(basename "$1"): its layers go into the store (ldd --image)" \
    sh -c "'$DISTILL' ldd --image 'oci:$1:latest' /usr/bin/env >/dev/null"
}

# start LABEL LEVEL READY_CMD: run the result under podman (host network); 0 when ready.
start() {
  local label=$1 level=$2 ready=$3 name=distill-$HO_NAME-$1-$2-$$
  skopeo copy -q "oci:$T/$label-$level/img:v1" "containers-storage:localhost/$name:v1" >/dev/null 2>"$T/$name.log" || return 1
  podman run -d --rm --name "$name" --network host "localhost/$name:v1" >/dev/null 2>>"$T/$name.log" || return 1
  for _ in $(seq 100); do sh -c "$ready" >/dev/null 2>&1 && return 0; sleep 0.2; done
  sed 's/^/  | /' "$T/$name.log"; podman logs "$name" 2>&1 | tail -5 | sed 's/^/  | /'
  return 1
}
stop() {
  local name=distill-$HO_NAME-$1-$2-$$
  podman stop -t 3 "$name" >/dev/null 2>&1; podman rm -f "$name" >/dev/null 2>&1
  podman rmi -f "localhost/$name:v1" >/dev/null 2>&1
}

# actions LABEL LEVEL "name|command" ...: try each held-out action; counts into PASSED/TOTAL.
actions() {
  local label=$1 level=$2; shift 2
  local n=0 p=0 a r
  for a in "$@"; do
    n=$((n + 1))
    if timeout 30 sh -c "${a#*|}" >"$T/action.out" 2>&1; then p=$((p + 1)); r=pass; else r=FAIL; fi
    echo "  $label $level held-out: $r ${a%%|*}"
    [ $level = package ] && [ $r = FAIL ] && sed 's/^/  | /' "$T/action.out" | tail -3
  done
  PASSED[$level]=$(( ${PASSED[$level]:-0} + p )); TOTAL[$level]=$(( ${TOTAL[$level]:-0} + n ))
  echo "$label $level $p $n" >> "$SUMMARY"
  if [ $level = package ]; then check_eq "$label package: every held-out action passes" "$n" "$p"
  else check "$label file: held-out actions fail at file level ($p of $n pass)" test "$p" -lt "$n"; fi
}

# lacks LABEL PATH...: the file level's report does not keep PATH, the package level's does.
lacks() {
  local label=$1 p; shift
  for p in "$@"; do
    check "$label: package level keeps $p" jqq --arg p "$p" 'any(.kept[]; .path == $p)' "$T/$label-package/rep/report.json"
    check "$label: file level report lacks $p (why the action fails)" \
      jqq --arg p "$p" 'all(.kept[]; .path != $p)' "$T/$label-file/rep/report.json"
  done
}

