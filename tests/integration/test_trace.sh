#!/usr/bin/env bash
# distill trace / distill-sensor on small C programs (golden paths), on python and nginx compared with
# strace, and the bad cases (not found, killed, stopped from outside, already traced).
source "$(dirname "$0")/lib.sh"
SENSOR=${DISTILL_SENSOR:-$TOP/build/distill-sensor}
HERE=$TOP/tests/integration/trace
PY=/usr/bin/python3

D=$(realpath "$T")/d
mkdir -p "$D/sub"
chmod 755 "$T" "$D"
for f in plain plain2 sub/in_sub sub/rel_after_chdir rel_after_fchdir sub/target from_script thread_open \
         thread_exec_arg daemon_file vfork_file before_kill before_sleep on_term exec_map data_map; do echo x > "$D/$f"; done
for f in 'caf\xe9' '\xff\xfe' 'caf\xc3\xa9'; do echo x > "$D/$(printf "$f")"; done  # Latin-1, garbage, UTF-8 names
ln -s link2 "$D/link1"; ln -s sub/target "$D/link2"
printf '#!/bin/sh\ncat %s/from_script >/dev/null\n' "$D" > "$D/script.sh"; chmod +x "$D/script.sh"
echo 'int plug(void) { return 1; }' > "$T/plug.c"
cc -shared -fPIC -o "$D/libplug.so" "$T/plug.c" || fail "compile plugin"
PROG=$T/progs
cc -O1 -pthread -o "$PROG" "$HERE/progs.c" -ldl || fail "compile progs"

# run MODE [sensor options]: traces `progs MODE $D` into $T/MODE.json; sets RC.
run() { local m=$1; shift; "$SENSOR" --out "$T/$m.json" "$@" -- "$PROG" "$m" "$D" >/dev/null 2>"$T/$m.err"; RC=$?; }
source "$HERE/checks.sh"

check "trace help" "$DISTILL" trace --help
check_eq "trace usage error" 2 "$("$DISTILL" trace >/dev/null 2>&1; echo $?)"

run open
check "open: plain file" has "$T/open.json" "$D/plain" file open
check "open: missing recorded as failed" jq -e --arg p "$D/does_not_exist" '.files[] | select(.path == $p and (.ok | not) and .kind == "missing")' "$T/open.json"
only_expected "open: no invented path" "$T/open.json" plain
all_exist "open: used paths exist" "$T/open.json"
check "open: exec of the program" has "$T/open.json" "$PROG" file exec
check "open: ELF interpreter (kernel-side)" has "$T/open.json" "$(realpath /lib64/ld-linux-x86-64.so.2 2>/dev/null || realpath /lib/ld-linux-aarch64.so.1)" file map

run openat
check_eq "openat: exit 0" 0 "$RC"
check "openat: dirfd + name" has "$T/openat.json" "$D/sub/in_sub" file open
check "openat: dup'ed dirfd + .." has "$T/openat.json" "$D/plain2" file open
check "openat: O_DIRECTORY is list" has "$T/openat.json" "$D/sub" dir list
only_expected "openat: no invented path" "$T/openat.json" sub sub/in_sub plain2

run chdir
check_eq "chdir: exit 0" 0 "$RC"
check "chdir: relative after chdir" has "$T/chdir.json" "$D/sub/rel_after_chdir" file open
check "chdir: relative after fchdir" has "$T/chdir.json" "$D/rel_after_fchdir" file open
check "chdir: stat relative" has "$T/chdir.json" "$D/sub/in_sub" file stat
only_expected "chdir: no invented path" "$T/chdir.json" sub sub/rel_after_chdir rel_after_fchdir sub/in_sub

run symlink
check "symlink: first link followed" has "$T/symlink.json" "$D/link1" symlink follow
check "symlink: second link followed" has "$T/symlink.json" "$D/link2" symlink follow
check "symlink: target opened" has "$T/symlink.json" "$D/sub/target" file open
only_expected "symlink: no invented path" "$T/symlink.json" link1 link2 sub/target

run shebang
check "shebang: script exec" has "$T/shebang.json" "$D/script.sh" file exec
check "shebang: interpreter path as written" has "$T/shebang.json" "$(realpath /bin/sh)" file exec
if [ -L /bin/sh ]; then check "shebang: /bin/sh symlink" has "$T/shebang.json" "$(realpath /bin)/sh" symlink follow; fi
check "shebang: file read by the script" has "$T/shebang.json" "$D/from_script" file open
only_expected "shebang: no invented path" "$T/shebang.json" script.sh from_script

run thread
check_eq "thread: cat exit status" 0 "$RC"
check "thread: open in thread" has "$T/thread.json" "$D/thread_open" file open
check "thread: exec from a thread" has "$T/thread.json" "$(realpath /bin/cat)" file exec
check "thread: exec'd program's open" has "$T/thread.json" "$D/thread_exec_arg" file open
check "thread: clone3 or clone seen" jq -e '.syscalls | index("clone3") or index("clone")' "$T/thread.json"
only_expected "thread: no invented path" "$T/thread.json" thread_open thread_exec_arg

run daemon
check "daemon: double-forked daemon's open after the parent exited" has "$T/daemon.json" "$D/daemon_file" file open
check_eq "daemon: exit status of the app" 0 "$RC"

run vfork
check_eq "vfork: exit 0" 0 "$RC"
check "vfork: exec'd child's open" has "$T/vfork.json" "$D/vfork_file" file open
check "vfork: execs list" jq -e --arg a "$D/vfork_file" '.execs[] | select(.ok and .argv[1] == $a)' "$T/vfork.json"

run dlopen
check_eq "dlopen: exit 0" 0 "$RC"
check "dlopen: open" has "$T/dlopen.json" "$D/libplug.so" file open
check "dlopen: map" has "$T/dlopen.json" "$D/libplug.so" file map

run procself
check_eq "procself: exit 0" 0 "$RC"
check "procself: /proc/self/exe opened is the program" has "$T/procself.json" "$PROG" file open
check "procself: /proc/thread-self is the tracee's task" jq -e '[.files[] | select(.ok and (.path | test("^/proc/[0-9]+/task/[0-9]+/comm$")))] | length == 1' "$T/procself.json"
check "procself: not the sensor's own /proc/self" jq -e '[.files[] | select(.path | test("distill-sensor"))] == []' "$T/procself.json"

run killself
check_eq "killself: 128+9" 137 "$RC"
check "killself: log complete" has "$T/killself.json" "$D/before_kill" file open
check_eq "killself: signal" SIGKILL "$(jq -r .signal "$T/killself.json")"

# Names that are not UTF-8: readable text plus the exact bytes (path_hex, argv_hex); loadable by distill.
run latin1
check_eq "latin1: exit 0" 0 "$RC"
check "latin1: exact bytes of the names in the log" $PY "$HERE/nonutf8_check.py" "$T/latin1.json" "$D"
check "latin1: no raw non-UTF-8 byte in the log" $PY -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/latin1.json"
"$DISTILL" trace --out "$T/latin1-cli.json" -- "$PROG" latin1 "$D" > "$T/latin1-cli.out" 2>"$T/latin1-cli.err"; rc=$?
check_eq "latin1: distill trace loads the log" 0 "$rc"
check "latin1: distill trace --out keeps the bytes" $PY "$HERE/nonutf8_check.py" "$T/latin1-cli.json" "$D"
check "latin1: summary printed (on stderr)" grep -q "^paths:" "$T/latin1-cli.err"

run exit
check_eq "exit: status passed through" 42 "$RC"
check_eq "exit: status in log" 42 "$(jq -r .exit_code "$T/exit.json")"

# The seccomp filter's argument checks (checks.sh; the same on the qemu guests, s390x big-endian).
for m in fstats nofollow mmap sock; do
  DISTILL_SENSOR_STATS=1 run $m; echo "$RC" > "$T/$m.rc"
  "$SENSOR" --syscalls --out "$T/$m-syscalls.json" -- "$PROG" $m "$D" >/dev/null 2>&1; echo $? > "$T/$m-syscalls.rc"
done
L() { echo "$T/$1.json"; }
rc() { cat "$T/$1.rc" 2>/dev/null || echo none; }
stops() { sed -n 's/^distill-sensor: \([0-9]*\) stops.*/\1/p' "$T/$1.err"; }
filter_arg_checks

# --exact (every exit stop) and --syscalls (every syscall stops, no filter) must log the same files.
for m in open openat chdir symlink shebang thread daemon vfork dlopen killself; do
  for mode in --exact --syscalls; do
    "$SENSOR" $mode --out "$T/$m$mode.json" -- "$PROG" "$m" "$D" >/dev/null 2>&1
    d=$(diff <(jq -c '.files[]' "$T/$m.json") <(jq -c '.files[]' "$T/$m$mode.json") | head -5)
    if [ -z "$d" ]; then ok "$m $mode: same files"; else fail "$m $mode: files differ: $d"; fi
  done
done

# Command not found: 127, a message, and a log with the attempt.
"$SENSOR" --out "$T/nf.json" -- /nonexistent/cmd 2>"$T/nf.err"; rc=$?
check_eq "not found: 127" 127 "$rc"
check "not found: message" grep -q "command not found" "$T/nf.err"
check "not found: log with the failed exec" jq -e '.files[] | select(.path == "/nonexistent/cmd" and (.ok | not))' "$T/nf.json"

# Stopped from outside: SIGTERM to the sensor reaches the app, which exits on its own terms.
"$SENSOR" --out "$T/term.json" -- "$PROG" trapterm "$D" & S=$!
sleep 0.5; kill -TERM $S; wait $S; rc=$?
check_eq "SIGTERM forwarded: app's exit status" 7 "$rc"
check "SIGTERM forwarded: app's last open logged" has "$T/term.json" "$D/on_term" file open
# A long-running app stopped by --timeout: SIGTERM, log complete.
"$SENSOR" --out "$T/to.json" --timeout 1 -- "$PROG" sleep "$D" 2>/dev/null; rc=$?
check_eq "timeout: 128+SIGTERM" 143 "$rc"
check "timeout: log complete" has "$T/to.json" "$D/before_sleep" file open
# ptrace refused: the sensor itself under strace -f, so its child is already traced.
strace -f -o /dev/null "$SENSOR" --out "$T/pt.json" -- true 2>"$T/pt.err"; rc=$?
check_eq "already traced: sensor error 125" 125 "$rc"
check "already traced: clear message" grep -q "already traced" "$T/pt.err"

# As PID 1 of a new PID namespace (a container's entry point): SIGTERM reaches the app and the
# daemon it left behind (re-parented to the sensor), well before the grace period; log written.
if [ "$(id -u)" = 0 ] && unshare -pf --mount-proc true 2>/dev/null; then
  unshare -pf --mount-proc "$SENSOR" --out "$T/pid1.json" -- sh -c 'sh -c "sleep 30 & exit 0"; sleep 60' & U=$!
  for _ in $(seq 50); do SP=$(pgrep -P $U) && [ -n "$SP" ] && [ "$(pgrep -P "$SP" | wc -l)" -ge 1 ] && break; sleep 0.1; done
  sleep 0.5; start=$(date +%s); kill -TERM "$SP"; wait $U; rc=$?
  check_eq "pid 1: exit 128+SIGTERM" 143 "$rc"
  check "pid 1: orphaned daemon stopped too, before the grace period" test $(( $(date +%s) - start )) -lt 4
  check_eq "pid 1: no process had to be killed" "[]" "$(jq -c .warnings "$T/pid1.json")"
  check "pid 1: the daemon's exec logged" jq -e '.execs[] | select(.argv == ["sleep","30"])' "$T/pid1.json"
else
  skip "pid 1: needs root and unshare"
fi

# A set-user-ID program traced by an unprivileged sensor: the kernel drops its privileges; warned.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && [ -u /usr/bin/passwd ]; then
  mkdir -p "$T/nobody"; chmod 777 "$T/nobody"
  (cd "$T/nobody" && setpriv --reuid=nobody --regid=nogroup --clear-groups "$SENSOR" --out "$T/nobody/s.json" -- /usr/bin/passwd --help >/dev/null 2>"$T/nobody/err")
  check "setuid: warning in the log" jq -e '.warnings == ["/usr/bin/passwd is set-user/group-ID: under ptrace it runs without those privileges (run the sensor as root to trace it faithfully)"]' "$T/nobody/s.json"
  check "setuid: warning on stderr" grep -q "set-user/group-ID" "$T/nobody/err"
else
  skip "setuid: needs root, setpriv and a setuid /usr/bin/passwd"
fi

# distill trace: CMD's stdout and stderr stay its own; the log goes to --out, --json-fd or (--json) stderr.
"$DISTILL" trace --json -- "$PROG" open "$D" > "$T/cli.stdout" 2> "$T/cli.json"
check "cli --json: valid log on stderr" jq -e --arg p "$D/plain" '.files[] | select(.path == $p)' "$T/cli.json"
check_eq "cli --json: nothing of distill's on stdout" "" "$(cat "$T/cli.stdout")"
ls_out=$(ls /)
check_eq "cli --json: ls's stdout is exactly ls's" "$ls_out" "$("$DISTILL" trace --json -- ls / 2>/dev/null)"
check_eq "cli --summary: ls's stdout is exactly ls's" "$ls_out" "$("$DISTILL" trace --summary -- ls / 2>/dev/null)"
check "cli --json-fd 3: one JSON document, ls's output apart" sh -c \
  "'$DISTILL' trace --json-fd 3 -- ls / 3>'$T/fd3.json' >'$T/fd3.out' 2>'$T/fd3.err' && jq -e '.command == [\"ls\", \"/\"]' '$T/fd3.json' >/dev/null && [ \"\$(cat '$T/fd3.out')\" = \"\$(ls /)\" ] && [ ! -s '$T/fd3.err' ]"
"$DISTILL" trace --json-fd 3 -- true 3</dev/null 2>"$T/fdro.err"; rc=$?
check_eq "cli --json-fd on a read-only fd: usage error" 2 "$rc"
check_eq "cli --json-fd on a read-only fd: one line" 1 "$(wc -l < "$T/fdro.err")"
mkdir -p "$T/cwd"
(cd "$T/cwd" && "$DISTILL" trace -- true 2>/dev/null; "$DISTILL" trace --json -- true 2>/dev/null)
check_eq "cli: no log file written unasked into the cwd" "" "$(ls -A "$T/cwd")"
(cd "$T" && "$DISTILL" trace --out "$T/cli-out.json" -- "$PROG" exit "$D" > "$T/cli.stdout2" 2> "$T/cli.sum"); rc=$?
check_eq "cli: app's exit status" 42 "$rc"
check "cli --summary mentions paths (on stderr)" grep -q "^paths:" "$T/cli.sum"
check "cli --summary names the log" grep -q "^log: *$T/cli-out.json" "$T/cli.sum"
check "cli --out written" has "$T/cli-out.json" "$D/plain" file open
check "cli --syscalls: complete set" sh -c "'$DISTILL' trace --out '$T/sys.json' --syscalls -- '$PROG' open '$D' 2>/dev/null; jq -e '.syscalls_complete and (.syscalls | index(\"close\")) and (.syscalls | index(\"brk\"))' '$T/sys.json' >/dev/null"
# A log that cannot be written is refused before CMD runs: exit 3, one line, CMD never started.
for bad in "/proc:log.json" "$T:no-such-dir/log.json" "$T:$T/cwd"; do
  dir=${bad%%:*}; o=${bad#*:}; rm -f "$T/ran"
  (cd "$dir" && "$DISTILL" trace --out "$o" -- touch "$T/ran" 2>"$T/bad.err"); rc=$?
  check_eq "cli --out $o (in $dir): refused with exit 3" 3 "$rc"
  check_eq "cli --out $o (in $dir): one line naming it" "1 1" "$(wc -l < "$T/bad.err") $(grep -c -- "--out $o" "$T/bad.err")"
  check "cli --out $o (in $dir): CMD did not run" test ! -e "$T/ran"
done
for v in 31536000 -1 1.5 x; do
  "$DISTILL" trace --timeout "$v" -- touch "$T/ran" 2>"$T/to.err"; rc=$?
  check_eq "cli --timeout $v: usage error (exit 2), one line" "2 1" "$rc $(wc -l < "$T/to.err")"
done
check "cli --timeout out of range: CMD did not run" test ! -e "$T/ran"
"$DISTILL" trace --out - -- touch "$T/ran" >"$T/dash.out" 2>"$T/dash.err"; rc=$?
check_eq "cli --out - (stdout is CMD's): usage error, one line, CMD did not run" "2 1 no" \
  "$rc $(wc -l < "$T/dash.err") $([ -e "$T/ran" ] && echo ran || echo no)"
check_eq "cli --timeout 1000000 (the maximum) is accepted" 0 "$("$DISTILL" trace --timeout 1000000 -- true 2>/dev/null; echo $?)"

# --root: a tree with only a static program and its data; nothing is left in the tree.
R=$T/root; mkdir -p "$R/bin" "$R/data" "$R/proc" "$R/dev"
if cc -static -O1 -pthread -o "$R/bin/progs" "$HERE/progs.c" 2>/dev/null; then
  echo x > "$R/data/plain"
  before=$(find "$R" | sort)
  "$DISTILL" trace --out "$T/root.json" --root "$R" -- /bin/progs open /data >/dev/null 2>"$T/root.err"; rc=$?
  check_eq "root: exit 0" 0 "$rc"
  check "root: path as seen inside the tree" has "$T/root.json" /data/plain file open
  check_eq "root: nothing left in the tree" "$before" "$(find "$R" | sort)"
  # A container's minimal /dev, not the host's: its devices work, the host's disks are not there.
  "$DISTILL" trace --out "$T/rootdev.json" --root "$R" -- /bin/progs list /dev >"$T/rootdev.out" 2>"$T/rootdev.err"; rc=$?
  check_eq "root: /dev/null writable inside" 0 "$rc"
  check_eq "root: minimal /dev" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero" \
    "$(grep -v "[: ]" "$T/rootdev.out" | sort | tr '\n' ' ' | sed 's/ $//')"
  check "root: the host's /dev has more" bash -c "[ \$(ls /dev | wc -l) -gt 13 ]"
  check "root: /dev/null recorded" has "$T/rootdev.json" /dev/null device open
  check_eq "root: nothing left in the tree (after /dev)" "$before" "$(find "$R" | sort)"
else
  skip "root: no static libc to build a tree program"
fi

# Real programs against strace (successful accesses, canonical paths).
cd "$T"
strace -f -qq -y -e trace=%file,%process,fchdir -o "$T/py.strace" $PY -c 'import json, email' && \
"$SENSOR" --out "$T/py.json" -- $PY -c 'import json, email'
check "python: same files as strace" $PY "$HERE/strace_compare.py" "$T/py.strace" "$T/py.json" "$T"

# Everyday tools in a shell session (fchdir in mkdir -p, *at calls with dirfds in tar/find/rm).
W=$T/tools; mkdir -p "$W"
strace -f -qq -y -e trace=%file,%process,fchdir -o "$T/tools.strace" sh "$HERE/tools.sh" "$W"
rm -rf "$W"; mkdir -p "$W"
"$SENSOR" --out "$T/tools.json" -- sh "$HERE/tools.sh" "$W"
check "tools: same files as strace" $PY "$HERE/strace_compare.py" "$T/tools.strace" "$T/tools.json" "$T"

# nginx: daemonises (double fork), drops privileges for its worker, serves, stopped with SIGTERM.
nginx_run() { # nginx_run WRAPPER...: start nginx under the wrapper, curl it, stop it
  local N=$T/ng port; port=$(( 20000 + RANDOM % 20000 ))
  rm -rf "$N"; mkdir -p "$N/html" "$N/logs"; chmod 755 "$N" "$N/html"
  echo hello > "$N/html/index.html"; echo two > "$N/html/two.html"
  cat > "$N/nginx.conf" <<EOF
worker_processes 1;
pid $N/nginx.pid;
error_log $N/logs/error.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log $N/logs/access.log;
  client_body_temp_path $N/body; proxy_temp_path $N/proxy; fastcgi_temp_path $N/fcgi;
  uwsgi_temp_path $N/uwsgi; scgi_temp_path $N/scgi;
  server { listen 127.0.0.1:$port; root $N/html; }
}
EOF
  "$@" /usr/sbin/nginx -p "$N" -c "$N/nginx.conf" & local w=$!
  for _ in $(seq 50); do [ -s "$N/nginx.pid" ] && curl -sf "http://127.0.0.1:$port/" >/dev/null && break; sleep 0.1; done
  for _ in 1 2 3; do curl -sf "http://127.0.0.1:$port/two.html" >/dev/null; curl -s "http://127.0.0.1:$port/nope" >/dev/null; done
  kill -TERM "$(cat "$N/nginx.pid")"; wait $w
}
if [ -x /usr/sbin/nginx ]; then
  nginx_run strace -f -qq -y -e trace=%file,%process,fchdir -o "$T/ng.strace"
  nginx_run "$SENSOR" --out "$T/ng.json" --
  check "nginx: served file recorded" jq -e '.files[] | select((.path | endswith("/html/two.html")) and .ok)' "$T/ng.json"
  check "nginx: same files as strace" $PY "$HERE/strace_compare.py" "$T/ng.strace" "$T/ng.json" "$T"
else
  skip "nginx: /usr/sbin/nginx not installed"
fi

# io_uring: what it opens through the ring is not seen, and the log says so.
run uring
check_eq "uring: exit 0" 0 "$RC"
check "uring: warning in the log" jq -e '.warnings | any(test("io_uring"))' "$T/uring.json"
check "uring: other paths still recorded" has "$T/uring.json" "$D/plain" file open
check "uring: no warning without io_uring" jq -e '.warnings | any(test("io_uring")) | not' "$T/open.json"

# CPU pinning: by default the sensor and the traced tree share one CPU (cheap stops); --no-pin keeps
# the affinity the command would have had untraced.
untraced_cpus=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status)
pinned_cpus=$("$SENSOR" --out "$T/pin.json" -- awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status 2>/dev/null)
check "pin: the traced command runs on one CPU" bash -c "[[ '$pinned_cpus' =~ ^[0-9]+\$ ]]"
check_eq "pin: the log names that CPU" "$pinned_cpus" "$(jq -r .pinned_cpu "$T/pin.json")"
check_eq "pin: --no-pin keeps the command's CPUs" "$untraced_cpus" \
  "$("$SENSOR" --no-pin --out "$T/nopin.json" -- awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status 2>/dev/null)"
check_eq "pin: --no-pin logs pinned_cpu null" null "$(jq -r .pinned_cpu "$T/nopin.json")"
check "pin: same paths pinned or not" cmp -s <(jq -S '[.files[] | select(.path | startswith("/proc/") | not)]' "$T/pin.json") <(jq -S '[.files[] | select(.path | startswith("/proc/") | not)]' "$T/nopin.json")
check_eq "pin: distill trace --no-pin passes it on" "$untraced_cpus" \
  "$("$DISTILL" trace --no-pin --out "$T/nopin2.json" -- awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status 2>/dev/null | head -1)"

# The sensor itself under ASan+UBSan (the shipped binary is static, without sanitizers); run from
# the same directory as the runs above so the logs can be compared.
cd "$TOP"
if cc -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I"$TOP/src" -O1 -g -fsanitize=address,undefined \
      -fno-sanitize-recover=undefined -o "$T/sensor-asan" "$TOP"/src/trace/sensor/*.c 2>"$T/asan-build.err"; then
  for m in openat chdir symlink shebang thread daemon vfork dlopen killself latin1; do
    ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$T/sensor-asan" --out "$T/asan-$m.json" -- "$PROG" $m "$D" >/dev/null 2>"$T/asan-$m.err"
    rc=$?; [ $rc = 99 ] || grep -q "Sanitizer" "$T/asan-$m.err" && { fail "sensor under ASan: $m: $(head -5 "$T/asan-$m.err")"; continue; }
    cmp -s <(jq -S 'del(.warnings, .pinned_cpu, .main_pid) | .execs[] |= del(.envp, .envp_hex, .pid, .ppid)' "$T/asan-$m.json") <(jq -S 'del(.warnings, .pinned_cpu, .main_pid) | .execs[] |= del(.envp, .envp_hex, .pid, .ppid)' "$T/$m.json") && ok "sensor under ASan: $m (same log)" || fail "sensor under ASan: $m: log differs: $(diff <(jq -S "del(.warnings, .pinned_cpu, .main_pid) | .execs[] |= del(.envp, .envp_hex, .pid, .ppid)" "$T/asan-$m.json") <(jq -S "del(.warnings, .pinned_cpu, .main_pid) | .execs[] |= del(.envp, .envp_hex, .pid, .ppid)" "$T/$m.json") | head -20)"
  done
  ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$T/sensor-asan" --syscalls --out "$T/asan-py.json" -- $PY -c \
    'import json, email, tempfile, os; d=tempfile.mkdtemp(); open(d+"/x","w").write("1"); os.rename(d+"/x", d+"/y"); os.unlink(d+"/y"); os.rmdir(d)' \
    >/dev/null 2>"$T/asan-py.err"; rc=$?
  if [ $rc = 0 ] && ! grep -q Sanitizer "$T/asan-py.err"; then ok "sensor under ASan: python --syscalls"; else fail "sensor under ASan: python: $(head -5 "$T/asan-py.err")"; fi
else
  fail "sensor under ASan: build failed: $(head -3 "$T/asan-build.err")"
fi
