#!/usr/bin/env bash
# distill trace vs strace on the same workloads, in one run: wall time (median of N runs) untraced,
# under distill-sensor (default: pinned to one CPU with the traced tree; and --no-pin), under
# `strace -f -e trace=%file` and `strace --seccomp-bpf -f -e trace=%file` (both writing to /dev/null),
# and the overhead ratio ours/strace's (aim: <= 0.25; and < 20% over untraced when serving).
#   N=5 bash bench/bench_trace.sh
# Workloads: `find /usr/lib -printf %s` (a stat per file: every call a new path, the worst case for
# any tracer), a Python import-heavy start repeated 5 times, nginx serving 10000 requests (ab -c 4).
set -uo pipefail
cd "$(dirname "$0")/.."
N=${N:-5}
SENSOR=${DISTILL_SENSOR:-$PWD/build/distill-sensor}
[ -x "$SENSOR" ] || { echo "build first: make all"; exit 1; }
command -v strace >/dev/null || { echo "strace not installed"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/var/tmp}/bench-trace.XXXXXX"); trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
PY=/usr/bin/python3
IMPORTS='import json, email, email.mime.text, http.client, asyncio, decimal, xml.etree.ElementTree, unittest, argparse, logging, sqlite3, ssl, urllib.request, csv, zipfile, tarfile, shutil, tempfile, subprocess, multiprocessing, concurrent.futures, dataclasses, typing, pathlib, difflib, pprint, statistics, fractions, uuid, hashlib, hmac, secrets, base64, gzip, bz2, lzma'

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
now() { date +%s.%N; }

wl_find() { find /usr/lib -printf '%s\n' >/dev/null 2>&1; }
wl_python() { for _ in 1 2 3 4 5; do $PY -c "$IMPORTS" || return 1; done; }
export -f wl_find wl_python; export PY IMPORTS

# time_cmd WRAPPER... :: WORKLOAD: prints seconds
time_cmd() {
  local w=() ; while [ "$1" != "::" ]; do w+=("$1"); shift; done; shift
  local s e; s=$(now); "${w[@]}" bash -c "$1" >/dev/null 2>&1; e=$(now)
  echo "$e - $s" | bc -l
}

# The nginx workload: start under the wrapper, then time `ab` serving 10000 requests (start-up and
# shutdown are not counted: this is the request-serving cost), then SIGTERM.
NGX=$T/ng
nginx_conf() {
  local port=$1; rm -rf "$NGX"; mkdir -p "$NGX/html" "$NGX/logs"; chmod 755 "$NGX" "$NGX/html"
  head -c 4096 /dev/urandom | base64 > "$NGX/html/index.html"
  cat > "$NGX/nginx.conf" <<EOF
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log;
events { worker_connections 256; }
http { include /etc/nginx/mime.types; access_log $NGX/logs/access.log;
  client_body_temp_path $NGX/b; proxy_temp_path $NGX/p; fastcgi_temp_path $NGX/f; uwsgi_temp_path $NGX/u; scgi_temp_path $NGX/s;
  server { listen 127.0.0.1:$port; root $NGX/html; } }
EOF
}
time_nginx() {
  local port=$(( 20000 + RANDOM % 20000 )); nginx_conf $port
  "$@" /usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" >/dev/null 2>&1 & local w=$!
  for _ in $(seq 100); do [ -s "$NGX/nginx.pid" ] && curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.05; done
  ab -q -n 10000 -c 4 "http://127.0.0.1:$port/" 2>/dev/null | awk '/^Time taken for tests/ {print $5}'
  kill -TERM "$(cat "$NGX/nginx.pid")"; wait $w
}
noop() { "$@"; }

declare -A WRAP=(
  [untraced]="noop"
  [distill]="$SENSOR --out $T/log.json"
  [distill-nopin]="$SENSOR --no-pin --out $T/log.json"
  [strace]="strace -f -qq -o /dev/null -e trace=%file"
  [strace-seccomp]="strace --seccomp-bpf -f -qq -o /dev/null -e trace=%file"
)
ORDER=(untraced distill distill-nopin strace strace-seccomp)

printf '%-10s %10s %10s %13s %10s %14s   %s\n' workload untraced distill distill-nopin strace strace-seccomp "overhead ratio distill/strace, distill/strace-seccomp"
for wl in find python nginx; do
  if [ $wl = nginx ] && { ! [ -x /usr/sbin/nginx ] || ! command -v ab >/dev/null; }; then echo "nginx: skipped (needs nginx and ab)"; continue; fi
  declare -A MED=()
  for name in "${ORDER[@]}"; do : > "$T/times.$name"; done
  # Round-robin so every tool sees the same background load (this box is shared).
  for _ in $(seq "$N"); do
    for name in "${ORDER[@]}"; do
      if [ $wl = nginx ]; then
        if [ $name = untraced ]; then time_nginx env; else time_nginx ${WRAP[$name]}; fi
      else
        if [ $name = untraced ]; then time_cmd env :: "wl_$wl"; else time_cmd ${WRAP[$name]} :: "wl_$wl"; fi
      fi >> "$T/times.$name"
    done
  done
  for name in "${ORDER[@]}"; do MED[$name]=$(median < "$T/times.$name"); done
  u=${MED[untraced]}; d=${MED[distill]}; dn=${MED[distill-nopin]}; s=${MED[strace]}; b=${MED[strace-seccomp]}
  r1=$(echo "($d - $u) / ($s - $u)" | bc -l); r2=$(echo "($d - $u) / ($b - $u)" | bc -l)
  printf '%-10s %9.3fs %9.3fs %12.3fs %9.3fs %13.3fs   %.3f, %.3f  (distill overhead %+.0f%%, --no-pin %+.0f%%)\n' $wl "$u" "$d" "$dn" "$s" "$b" "$r1" "$r2" \
    "$(echo "100 * ($d - $u) / $u" | bc -l)" "$(echo "100 * ($dn - $u) / $u" | bc -l)"
done
