#!/usr/bin/env bash
# Held-out actions: a distilled image must survive what its traced tests never drove.
# Real stacks from Debian and npm packages (tests/fixtures/heldout/): a Flask web app
# (templates, static files, a lazily imported module, native libraries on one route each),
# an Express app (a lazily required module, a request body in a charset iconv-lite decodes),
# and PostgreSQL with its data directory in the image (declared as a Volume, and not).
# Each is built at --keep-level package and file with one traced test; then the result runs
# under podman and every held-out action is tried. At package level all must pass; at file
# level they fail, and the file level's report lacks the files they need.
# HELDOUT_REPORTS=DIR keeps each report.json there. HELDOUT_SUMMARY=FILE appends "fixture level passed total" lines there (bench/bench_keep_level.sh).
# HELDOUT_PORT_BASE=N (default 18700) moves the apps to ports N+1 (Flask), N+10 (PostgreSQL) and
# N+20 (Express): the command is then given after `--` (the fixture images name the default ports).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null || ! command -v podman >/dev/null \
   || ! command -v skopeo >/dev/null; then
  fail "heldout: needs root, runc, podman and skopeo"; exit 0
fi
HO=$FIXTURE/heldout
PB=${HELDOUT_PORT_BASE:-18700}
FP=$((PB + 1)) PP=$((PB + 10)) NP=$((PB + 20))
# moved: the command after `--`, and a ready command (the exposed port is the fixture's)
moved() { [ "$PB" = 18700 ] || printf '%s\0' --ready-cmd "$1" -- "${@:2}"; }
HO_NAME=heldout
. "$(dirname "$0")/heldout_lib.sh"

# An unknown keep level is a usage error, on the command line and in distill.yaml.
"$DISTILL" build oci:x:y oci:z:w --keep-level packages >/dev/null 2>"$T/usage.err"
check_eq "--keep-level with an unknown value exits 2" 2 $?
check "--keep-level: the error names the value" grep -q "^distill build: --keep-level: expected one of package,file, got 'packages'" "$T/usage.err"
printf 'keep-level: everything\n' > "$T/bad.yaml"
"$DISTILL" build oci:x:y oci:z:w --config "$T/bad.yaml" >/dev/null 2>&1
check_eq "keep-level: in distill.yaml with an unknown value exits 2" 2 $?

# ---------------------------------------------------------------- (a)+(d) Flask
flask=$(debian_image heldout-flask --include python3-flask,ca-certificates,tzdata \
  --cmd '["python3","/srv/app/app.py","18701"]' --port 18701/tcp \
  --hook "sh $HO/flask-hook.sh \"\$1\"") || fail "heldout: fixture heldout-flask"
U=http://127.0.0.1:$FP
mapfile -d '' FLASK_RUN < <(moved "curl -fsS $U/" python3 /srv/app/app.py $FP)
FLASK_ACTIONS=(
  "second template|curl -fsS $U/about | grep -q 'about heldout'"
  "static file|curl -fsS $U/static/style.css | grep -q heldout-style"
  "lazily imported app module|curl -fsS $U/report | grep -q median"
  "sqlite3 (native library) on one route|curl -fsS -X POST --data note $U/store | grep -q rows"
  "ssl + CA certificates on one route|curl -fsS $U/tls | grep -q '\"cas\":[1-9]'"
  "time zone data|curl -fsS '$U/time?tz=Asia/Tokyo' | grep -q 32400"
  "request body in shift_jis|printf '\\202\\240' | curl -fsS -X POST -H 'Content-Type: text/plain; charset=shift_jis' --data-binary @- $U/echo | grep -q 'u3042'"
)
if [ -n "${flask:-}" ]; then
  warm "$flask"
  for level in ${HO_LEVELS:-package file}; do
    build flask "$flask" $level "curl -fsS http://{LOCALHOST}:$FP/ | grep -q 'heldout home'" "${FLASK_RUN[@]}" || continue
    if start flask $level "curl -fsS $U/"; then actions flask $level "${FLASK_ACTIONS[@]}"
    else fail "flask $level: the result did not start under podman"; fi
    stop flask $level
  done
  lacks flask /srv/app/templates/about.html /srv/app/static/style.css /srv/app/lib/report.py \
    /usr/lib/python3.11/lib-dynload/_sqlite3.cpython-311-x86_64-linux-gnu.so /usr/share/zoneinfo/Asia/Tokyo
fi

# ---------------------------------------------------------------- (b) Express
node=$(debian_image heldout-node --include nodejs,ca-certificates \
  --cmd '["node","/srv/node/server.js","18720"]' --port 18720/tcp \
  --hook "sh $HO/node-hook.sh \"\$1\"") || fail "heldout: fixture heldout-node"
N=http://127.0.0.1:$NP
mapfile -d '' NODE_RUN < <(moved "curl -fsS $N/" node /srv/node/server.js $NP)
NODE_ACTIONS=(
  "request body in shift_jis (iconv-lite tables)|printf '\\202\\240' | curl -fsS -X POST -H 'Content-Type: text/plain; charset=shift_jis' --data-binary @- $N/echo | grep -q 'あ'"
  "request body in latin1|printf 'caf\\351' | curl -fsS -X POST -H 'Content-Type: text/plain; charset=iso-8859-1' --data-binary @- $N/echo | grep -q 'café'"
  "lazily required app module|curl -fsS $N/report | grep -q node-42"
  "static file|curl -fsS $N/public/hello.txt | grep -q heldout-static-file"
)
if [ -n "${node:-}" ]; then
  warm "$node"
  for level in ${HO_LEVELS:-package file}; do
    build node "$node" $level "curl -fsS http://{LOCALHOST}:$NP/ | grep -q 'node heldout home'" "${NODE_RUN[@]}" || continue
    if start node $level "curl -fsS $N/"; then actions node $level "${NODE_ACTIONS[@]}"
    else fail "node $level: the result did not start under podman"; fi
    stop node $level
  done
  lacks node /srv/node/lib/report.js /srv/node/public/hello.txt
fi

# ---------------------------------------------------------------- (c) PostgreSQL
pg=$(debian_image heldout-postgres --include postgresql-15,tzdata --user postgres \
  --entrypoint '["/usr/lib/postgresql/15/bin/postgres","-D","/var/lib/postgresql/data","-c","listen_addresses=127.0.0.1","-c","unix_socket_directories=/tmp","-p","18710"]' \
  --port 18710/tcp --hook "sh $HO/postgres-hook.sh \"\$1\"") || fail "heldout: fixture heldout-postgres"
# The same image with its data directory declared as a Volume.
pgvol=""
[ -n "${pg:-}" ] && pgvol=$(bash "$HO/with-volume.sh" "$pg" heldout-postgres-volume /var/lib/postgresql/data) \
  || fail "heldout: fixture heldout-postgres-volume"
Q="psql -h 127.0.0.1 -p $PP -U postgres -d heldout -XAtq -v ON_ERROR_STOP=1 -c"
PG_RUN=()
[ "$PB" = 18700 ] || PG_RUN=(-- /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/data \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp -p $PP)
PG_ACTIONS=(
  "every table readable: orders|test \"\$($Q 'select count(*) from orders')\" = 5000"
  "every table readable: documents (TOAST)|test \"\$($Q 'select sum(length(body)) from documents')\" = 640000"
  "materialized view|test \"\$($Q 'select count(*) from order_totals')\" = 200"
  "index scan|test \"\$($Q 'set enable_seqscan=off; select count(*) from orders where customer = 7')\" = 25"
  "new writes: insert + read back|$Q \"insert into customers(name) values ('new')\" && test \"\$($Q 'select count(*) from customers')\" = 201"
  "new writes: a new table|$Q 'create table t_new(a int); insert into t_new select generate_series(1,1000)' && test \"\$($Q 'select sum(a) from t_new')\" = 500500"
  "full text search (tsearch data, snowball)|$Q \"select to_tsvector('english', 'The running dogs')\" | grep -q \"'dog':3\""
  "time zones|$Q \"select timezone('Asia/Tokyo', '2024-01-01 00:00+00'::timestamptz)\" | grep -q '2024-01-01 09:00:00'"
  "an extension (pg_trgm)|$Q 'create extension pg_trgm' && $Q \"select similarity('abc','abd') > 0\" | grep -q t"
)
for variant in pg pgvol; do
  img=${!variant}; [ -n "$img" ] || continue
  warm "$img"
  for level in ${HO_LEVELS:-package file}; do
    build $variant "$img" $level "test \"\$(psql -h {LOCALHOST} -p $PP -U postgres -d heldout -XAtqc 'select count(*) from customers')\" = 200" \
      --ready-cmd "$Q 'select 1'" "${PG_RUN[@]}" || continue
    if start $variant $level "$Q 'select 1'"; then actions $variant $level "${PG_ACTIONS[@]}"
    else fail "$variant $level: the result did not start under podman"; fi
    stop $variant $level
  done
done
[ -n "${pg:-}" ] && lacks pg /usr/share/postgresql/15/tsearch_data/english.stop /usr/lib/postgresql/15/lib/pg_trgm.so
[ -n "$pgvol" ] && check "pgvol: the Volume is kept whole at file level too" \
  jqq 'any(.kept[]; (.path | startswith("/var/lib/postgresql/data/")) and (.reason | test("volume")))' "$T/pgvol-file/rep/report.json"
[ -n "${pg:-}" ] && check "pg: the data directory (written by the app) is kept whole at file level too" \
  jqq '[.kept[] | select(.path | startswith("/var/lib/postgresql/data/base/"))] | length > 300' "$T/pg-file/rep/report.json"
[ -n "${pg:-}" ] && check "pg: the unloaded JIT plugin is left out and named" \
  jqq '.keep_level.plugins_left_out | any(.path | test("llvmjit.so$"))' "$T/pg-package/rep/report.json"
[ -n "${pg:-}" ] && check "pg: the JIT's LLVM bitcode is left out with it (counted in left_out)" \
  jqq '(.keep_level.left_out["LLVM bitcode of a JIT plugin left out"] > 20000000) and
       all(.kept[]; .path | endswith(".bc") | not)' "$T/pg-package/rep/report.json"

for l in package file; do
  for s in $(cat "$T"/*-$l.seconds 2>/dev/null); do echo "$l seconds $s"; done >> "$SUMMARY"
done
for f in "$T"/*-package/rep/report.json "$T"/*-file/rep/report.json; do
  [ -f "$f" ] || continue
  n=$(basename "$(dirname "$(dirname "$f")")")
  echo "$n bytes $(jq .after.size "$f") $(jq .before.size "$f")" >> "$SUMMARY"
  echo "$n timings $(jq -c .timings "$f")" >> "$SUMMARY"
done
echo "  held-out actions: ${PASSED[package]:-0} of ${TOTAL[package]:-0} pass at package level, ${PASSED[file]:-0} of ${TOTAL[file]:-0} at file level"
# HELDOUT_REPORTS=DIR: keep each build's report.json there (LABEL-LEVEL.json), for a look at the bytes.
if [ -n "${HELDOUT_REPORTS:-}" ]; then
  mkdir -p "$HELDOUT_REPORTS"
  for f in "$T"/*-package/rep/report.json "$T"/*-file/rep/report.json; do
    [ -f "$f" ] && cp "$f" "$HELDOUT_REPORTS/$(basename "$(dirname "$(dirname "$f")")").json"
  done
fi
