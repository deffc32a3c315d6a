# The sensor on another architecture, really run (sourced by test_trace_aarch64.sh and
# test_trace_s390x.sh with GUEST_ARCH set): the cross-built static sensor and golden programs in an
# initramfs, booted on Debian's kernel for that architecture under qemu-system-* (TCG).
# A small static /init (qemu_init.c) runs each case and prints its log on the console; the host checks the
# golden expectations of test_trace.sh (static golden programs; a dynamic build with the cross
# glibc for the ELF interpreter and dlopen), a busybox tool session, calls the seccomp filter lets
# pass by their argument words (fstat, futimens: the stop count), the sensor as the machine's PID 1,
# and the sensor built with ASan+UBSan, the set-user-ID and "already traced" cases; on aarch64 also a
# 32-bit ARM program (compat ABI) and a top-byte-tagged path pointer. Not run here: the strace comparisons.
source "$(dirname "$0")/lib.sh"   # $0: the test_trace_<arch>.sh wrapper
HERE=$TOP/tests/integration/trace
A=${GUEST_ARCH:?GUEST_ARCH unset}
case $A in
  aarch64) DEB=arm64 XCC=${AARCH64_CC:-aarch64-linux-gnu-gcc} FILE_RE='ARM aarch64' LDSO=ld-linux-aarch64.so.1
           QEMU=(qemu-system-aarch64 -M virt -cpu max,pauth-impdef=on) CONSOLE=ttyAMA0 ;;
  s390x)   DEB=s390x XCC=${S390X_CC:-s390x-linux-gnu-gcc} FILE_RE='IBM S/390' LDSO=ld64.so.1
           QEMU=(qemu-system-s390x -M s390-ccw-virtio -cpu max) CONSOLE=ttysclp0 ;;
  *) fail "unknown GUEST_ARCH $A"; exit 0 ;;
esac
for tool in "$XCC" "${QEMU[0]}" cpio jq; do
  command -v "$tool" >/dev/null || { fail "$A: $tool is not installed (make deps)"; exit 0; }
done
make -s -C "$TOP" sensor-$A >"$T/make.log" 2>&1 || { fail "$A: make sensor-$A: $(tail -5 "$T/make.log")"; exit 0; }
SENSOR=$TOP/build/$A/distill-sensor
check "$A: sensor is an $A static ELF" sh -c "file '$SENSOR' | grep -q '$FILE_RE.*statically linked'"
BOOT=$(bash "$TOP/tests/fixtures/qemu-boot-files.sh" $DEB 2>"$T/boot-files.log") || { fail "$A: kernel/busybox fetch: $(tail -3 "$T/boot-files.log")"; exit 0; }

# The guest tree: usr-merged like Debian (/bin -> usr/bin), busybox as sh and cat, the test files in /d.
R=$T/root; D=/d
mkdir -p "$R/usr/bin" "$R$D/sub" "$R/proc" "$R/dev" "$R/tmp"
ln -s usr/bin "$R/bin"
cp "$BOOT/busybox" "$R/usr/bin/busybox"; ln -s busybox "$R/usr/bin/sh"; ln -s busybox "$R/usr/bin/cat"
[ $A != aarch64 ] || cp "$BOOT/busybox-compat" "$R/usr/bin/busybox-armhf"   # a 32-bit ARM (compat ABI) program
cp "$SENSOR" "$R/usr/bin/distill-sensor"
"$XCC" -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -static -o "$R/init" "$HERE/qemu_init.c" 2>"$T/cc.err" \
  || { fail "$A: build /init: $(head -3 "$T/cc.err")"; exit 0; }
# (the static link warns that dlopen needs a shared glibc: that mode runs on the dynamic build)
"$XCC" -O1 -pthread -static -o "$R/usr/bin/progs" "$HERE/progs.c" 2>"$T/cc.err" \
  || { fail "$A: build progs: $(head -3 "$T/cc.err")"; exit 0; }
# A dynamic build too, with the cross toolchain's glibc in the guest (as Debian lays it out): the
# ELF interpreter mapped by the kernel, executable mmaps of libraries, and dlopen.
mkdir -p "$R/usr/lib/$A-linux-gnu"; ln -s usr/lib "$R/lib"
XLIB=/usr/$A-linux-gnu/lib
cp "$XLIB/$LDSO" "$R/usr/lib/"
for l in libc.so.6 libm.so.6 libgcc_s.so.1 libstdc++.so.6 libasan.so.8 libubsan.so.1; do cp -L "$XLIB/$l" "$R/usr/lib/$A-linux-gnu/"; done
"$XCC" -O1 -pthread -o "$R/usr/bin/progs-dyn" "$HERE/progs.c" -ldl 2>"$T/cc.err" \
  || { fail "$A: build dynamic progs: $(head -3 "$T/cc.err")"; exit 0; }
echo 'int plug(void) { return 1; }' > "$T/plug.c"
"$XCC" -shared -fPIC -o "$R$D/libplug.so" "$T/plug.c" || { fail "$A: build plugin"; exit 0; }
# The sensor under ASan+UBSan, for $A (the shipped binary is static, without sanitizers).
"$XCC" -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -I"$TOP/src" -O1 -g -fsanitize=address,undefined \
  -fno-sanitize-recover=undefined -o "$R/usr/bin/distill-sensor-asan" "$TOP"/src/trace/sensor/*.c 2>"$T/cc.err" \
  || { fail "$A: build sensor with ASan: $(head -3 "$T/cc.err")"; exit 0; }
cp "$R/usr/bin/progs" "$R/usr/bin/progs-suid"; chmod 4755 "$R/usr/bin/progs-suid"; chmod 1777 "$R/tmp"
for f in plain plain2 sub/in_sub sub/rel_after_chdir rel_after_fchdir sub/target from_script thread_open \
         thread_exec_arg daemon_file vfork_file before_kill before_sleep on_term exec_map data_map; do echo x > "$R$D/$f"; done
ln -s link2 "$R$D/link1"; ln -s sub/target "$R$D/link2"
printf '#!/bin/sh\ncat %s/from_script >/dev/null\n' "$D" > "$R$D/script.sh"; chmod +x "$R$D/script.sh"
PROG=/bin/progs
{ echo "for m in open openat chdir symlink shebang thread daemon vfork procself killself exit tagged; do $PROG \$m $D; done"
  echo "/usr/bin/progs-dyn dlopen $D; exit 0"; } > "$R/all-modes.sh"

# A shell session of busybox tools that create, link, rename and remove (the calls that always take
# the exit stop, whose result is read from the guest's registers), in a new directory $1.
cat > "$R/tools.sh" <<'EOF'
set -e
mkdir -p "$1"; cd "$1"
mkdir -p a/b c
echo hi > a/b/f
ln -sf b/f a/l
cp a/l c/copy
mv c/copy c/moved
ln c/moved c/hard
ls -la a c >/dev/null
cd a/b && cat ../l >/dev/null && cd ../..
tar cf t.tar a
rm -f t.tar c/moved
find . -name '*f*' >/dev/null
EOF

# runs.txt: "NAME KILL_MS ARGV..." (see qemu_init.c); each sensor run writes /tmp/NAME.json.
MODES="open openat chdir symlink shebang thread daemon vfork procself killself"
S="/usr/bin/distill-sensor"
{
  for m in $MODES exit; do echo "$m 0 $S --out /tmp/$m.json -- $PROG $m $D"; done
  for m in $MODES; do
    echo "$m-exact 0 $S --exact --out /tmp/$m-exact.json -- $PROG $m $D"
    echo "$m-syscalls 0 $S --syscalls --out /tmp/$m-syscalls.json -- $PROG $m $D"
  done
  echo "open-dyn 0 $S --out /tmp/open-dyn.json -- /usr/bin/progs-dyn open $D"
  echo "dlopen 0 $S --out /tmp/dlopen.json -- /usr/bin/progs-dyn dlopen $D"
  for m in $MODES; do echo "asan-$m 0 $S-asan --out /tmp/asan-$m.json -- $PROG $m $D"; done
  # Leaks: one run of every mode in a row (LeakSanitizer's exit check costs seconds under TCG).
  for a in "" --syscalls; do
    echo "asan-leaks$a 0 /usr/bin/busybox env ASAN_OPTIONS=detect_leaks=1:exitcode=99 $S-asan $a --out /tmp/asan-leaks$a.json -- /bin/sh /all-modes.sh"
  done
  if [ $A = aarch64 ]; then
    echo "tagged 0 $S --out /tmp/tagged.json -- $PROG tagged $D"
    echo "tagged-exact 0 $S --exact --out /tmp/tagged-exact.json -- $PROG tagged $D"
    echo "compat 0 $S --out /tmp/compat.json -- /usr/bin/busybox-armhf cat $D/plain"
  fi
  # The filter's argument checks (low/high words of the arguments, endian-dependent offsets).
  for m in fstats nofollow mmap sock; do
    echo "$m 0 /usr/bin/busybox env DISTILL_SENSOR_STATS=1 $S --out /tmp/$m.json -- $PROG $m $D"
    echo "$m-syscalls 0 $S --syscalls --out /tmp/$m-syscalls.json -- $PROG $m $D"
  done
  echo "mmap-dyn 0 $S --out /tmp/mmap-dyn.json -- /usr/bin/progs-dyn mmap $D"
  echo "tools 0 $S --out /tmp/tools.json -- /bin/sh /tools.sh /w"
  echo "tools-exact 0 $S --exact --out /tmp/tools-exact.json -- /bin/sh /tools.sh /w-exact"
  echo "uring 0 $S --out /tmp/uring.json -- $PROG uring $D"
  echo "pin 0 $S --out /tmp/pin.json -- /bin/cat /proc/self/status"
  echo "nopin 0 $S --no-pin --out /tmp/nopin.json -- /bin/cat /proc/self/status"
  echo "nested 0 $S --out /tmp/nested-outer.json -- $S --out /tmp/nested.json -- $PROG open $D"
  echo "nobody-suid 0 $S --out /tmp/nobody-suid.json -- /usr/bin/progs-suid open $D"
  echo "nf 0 $S --out /tmp/nf.json -- /nonexistent/cmd"
  echo "term 800 $S --out /tmp/term.json -- $PROG trapterm $D"
  echo "to 0 $S --out /tmp/to.json --timeout 1 -- $PROG sleep $D"
} > "$R/runs.txt"
# Last, the sensor as the machine's PID 1 (a container's entry point): --timeout sends SIGTERM to the
# app and to the daemon it left behind; its log goes to the console; its exit code to the panic line.
echo "$S --out - --timeout 2 -- /bin/sh /pid1-app.sh" > "$R/pid1.txt"
printf 'sh -c "sleep 30 & exit 0"\nexec sleep 60\n' > "$R/pid1-app.sh"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$T/initrd.cpio" || { fail "$A: cpio"; exit 0; }

# Boot: TCG (2 vCPUs: threads and forks really run in parallel), the console (aarch64: virt board's
# PL011 serial; s390x: the SCLP console) on stdout; the run ends with the PID 1 case's kernel panic
# (-no-reboot: qemu exits).
start=$(date +%s)
timeout 240 "${QEMU[@]}" -smp 2 -m 512M -nographic -no-reboot -nic none \
  -kernel "$BOOT/kernel" -initrd "$T/initrd.cpio" \
  -append "console=$CONSOLE quiet loglevel=1 panic=-1 rdinit=/init" </dev/null >"$T/console.log" 2>&1
qrc=$?
echo "qemu: exit $qrc after $(( $(date +%s) - start ))s on $(cat "$BOOT/kernel-package")"
tr -d '\r' < "$T/console.log" > "$T/console.txt"
[ -n "${DISTILL_KEEP_CONSOLE:-}" ] && cp "$T/console.txt" "$DISTILL_KEEP_CONSOLE"   # for debugging
if ! grep -q '^@@@ DONE' "$T/console.txt" || ! grep -q '^@@@ PID1' "$T/console.txt"; then
  fail "$A: the guest did not finish (qemu exit $qrc): $(tail -c 1500 "$T/console.txt")"; exit 0
fi
ok "$A: guest booted, ran every case, powered off"

# Split the console into $O/NAME.json, NAME.out, NAME.err, NAME.rc.
O=$T/out; mkdir -p "$O"
awk -v o="$O" '
  /^@@@ RUN /  { n=$3; sub(/^rc=/, "", $4); print $4 > (o "/" n ".rc"); close(o "/" n ".rc"); next }
  /^@@@ JSON / { f=o "/" $3 ".json"; next }
  /^@@@ OUT /  { if (f) close(f); f=o "/" $3 ".out"; next }
  /^@@@ ERR /  { if (f) close(f); f=o "/" $3 ".err"; next }
  /^@@@ END /  { if (f) close(f); f=""; next }
  f            { print > f }' "$T/console.txt"
# jq -e passes on an empty input: a log that is empty (not written) is removed, so checks on it fail.
for f in "$O"/*.json; do [ -n "$(tr -d ' \n' < "$f")" ] || rm -f "$f"; done
grep '^@@@ RUN' "$T/console.txt" | awk '{printf "%s %s %s  ", $3, $4, $5} END {print ""}'
rc() { cat "$O/$1.rc" 2>/dev/null || echo none; }
L() { echo "$O/$1.json"; }
TREE=$R; SKIP_EXIST='^/(proc|dev|tmp)/'
source "$HERE/checks.sh"
# The canonical path in the guest of PATH (the tree's symlinks are relative, so the host resolves them).
guest_real() { local r; r=$(realpath "$R$1") && echo "${r#"$R"}"; }
# The files of a log, for comparing runs: static glibc reads /proc/self/exe at start, so /proc/<pid>
# differs run to run and is compared as /proc/PID.
# pids normalised, then sorted again (whole entries: a parent and its vfork child may both read
# /proc/PID/exe): the log's order is that of the real pids, which differ.
files() { jq -c '[.files[] | .path |= (sub("^/proc/[0-9]+/task/[0-9]+"; "/proc/PID/task/TID") | sub("^/proc/[0-9]+"; "/proc/PID"))] | sort_by(.path, tojson) | .[]' "$1"; }

check_eq "no log names the sensor's own binary (/proc/self is the tracee's)" "" "$(grep -l distill-sensor "$O"/*.json)"
for m in $MODES exit; do
  check "$A $m: log written, arch $A" jq -e --arg a $A '.version == 2 and .arch == $a' "$(L $m)"
  check_eq "$A $m: no warnings (no foreign-ABI syscall)" "[]" "$(jq -c .warnings "$(L $m)" 2>/dev/null)"
done

check_eq "open: exit 0" 0 "$(rc open)"
check "open: plain file" has "$(L open)" "$D/plain" file open
check "open: missing recorded as failed" jq -e --arg p "$D/does_not_exist" '.files[] | select(.path == $p and (.ok | not) and .kind == "missing")' "$(L open)"
only_expected "open: no invented path" "$(L open)" plain
all_exist "open: used paths exist" "$(L open)"
check "open: exec of the program (canonical, through /bin)" has "$(L open)" "$(guest_real $PROG)" file exec
check "open: /bin walked as a symlink" has "$(L open)" /bin symlink follow
# The filter stops only on path syscalls: no read/close/brk in the cheap set, all of them with --syscalls.
check "open: default set is the path calls only" jq -e '.syscalls_complete == false and (.syscalls | index("openat")) and (.syscalls | index("close") | not) and (.syscalls | index("brk") | not)' "$(L open)"
check "open --syscalls: complete set" jq -e '.syscalls_complete and (.syscalls | index("close")) and (.syscalls | index("brk")) and (.syscalls | index("openat"))' "$(L open-syscalls)"
[ $A != aarch64 ] || check "open --syscalls: no old x86 path calls on aarch64" jq -e '[.syscalls[] | select(. == "open" or . == "stat" or . == "lstat" or . == "access")] == []' "$(L open-syscalls)"

check_eq "openat: exit 0" 0 "$(rc openat)"
check "openat: dirfd + name" has "$(L openat)" "$D/sub/in_sub" file open
check "openat: dup'ed dirfd + .." has "$(L openat)" "$D/plain2" file open
check "openat: O_DIRECTORY is list" has "$(L openat)" "$D/sub" dir list
only_expected "openat: no invented path" "$(L openat)" sub sub/in_sub plain2

check_eq "chdir: exit 0" 0 "$(rc chdir)"
check "chdir: relative after chdir" has "$(L chdir)" "$D/sub/rel_after_chdir" file open
check "chdir: relative after fchdir" has "$(L chdir)" "$D/rel_after_fchdir" file open
check "chdir: stat relative (newfstatat)" has "$(L chdir)" "$D/sub/in_sub" file stat
only_expected "chdir: no invented path" "$(L chdir)" sub sub/rel_after_chdir rel_after_fchdir sub/in_sub

check "symlink: first link followed" has "$(L symlink)" "$D/link1" symlink follow
check "symlink: second link followed" has "$(L symlink)" "$D/link2" symlink follow
check "symlink: target opened" has "$(L symlink)" "$D/sub/target" file open
only_expected "symlink: no invented path" "$(L symlink)" link1 link2 sub/target

check_eq "shebang: exit 0" 0 "$(rc shebang)"
check "shebang: script exec" has "$(L shebang)" "$D/script.sh" file exec
check "shebang: interpreter (busybox) exec" has "$(L shebang)" "$(guest_real /bin/sh)" file exec
check "shebang: /bin/sh symlink" has "$(L shebang)" "$(guest_real /bin)/sh" symlink follow
check "shebang: file read by the script" has "$(L shebang)" "$D/from_script" file open
only_expected "shebang: no invented path" "$(L shebang)" script.sh from_script
all_exist "shebang: used paths exist" "$(L shebang)"

check_eq "thread: cat exit status" 0 "$(rc thread)"
check "thread: open in thread" has "$(L thread)" "$D/thread_open" file open
check "thread: exec from a thread" has "$(L thread)" "$(guest_real /bin/cat)" file exec
check "thread: exec'd program's open" has "$(L thread)" "$D/thread_exec_arg" file open
check "thread: clone3 or clone seen (NT_ARM_SYSTEM_CALL/NT_S390_SYSTEM_CALL at the event)" jq -e '.syscalls | index("clone3") or index("clone")' "$(L thread)"
check "thread: execs list" jq -e --arg a "$D/thread_exec_arg" '[.execs[] | select(.ok) | .argv] == [["/bin/progs","thread","/d"],["cat",$a]]' "$(L thread)"
only_expected "thread: no invented path" "$(L thread)" thread_open thread_exec_arg

check "daemon: double-forked daemon's open after the parent exited" has "$(L daemon)" "$D/daemon_file" file open
check_eq "daemon: exit status of the app" 0 "$(rc daemon)"
check "daemon: fork seen as clone" jq -e '.syscalls | index("clone")' "$(L daemon)"

check_eq "vfork: exit 0" 0 "$(rc vfork)"
check "vfork: exec'd child's open" has "$(L vfork)" "$D/vfork_file" file open
check "vfork: execs list" jq -e --arg a "$D/vfork_file" '.execs[] | select(.ok and .argv[1] == $a)' "$(L vfork)"

check_eq "open (dynamic): exit 0" 0 "$(rc open-dyn)"
check "open (dynamic): ELF interpreter (kernel-side)" has "$(L open-dyn)" "$(guest_real /lib/$LDSO)" file map
check "open (dynamic): /lib walked as a symlink" has "$(L open-dyn)" /lib symlink follow
check "open (dynamic): libc mapped executable" has "$(L open-dyn)" /usr/lib/$A-linux-gnu/libc.so.6 file map
check "open (dynamic): plain file" has "$(L open-dyn)" "$D/plain" file open
only_expected "open (dynamic): no invented path" "$(L open-dyn)" plain
all_exist "open (dynamic): used paths exist" "$(L open-dyn)"
check_eq "dlopen: exit 0" 0 "$(rc dlopen)"
check "dlopen: open" has "$(L dlopen)" "$D/libplug.so" file open
check "dlopen: map" has "$(L dlopen)" "$D/libplug.so" file map

check_eq "procself: exit 0" 0 "$(rc procself)"
check "procself: /proc/self/exe opened is the program" has "$(L procself)" "$(guest_real $PROG)" file open
check "procself: /proc/thread-self is the tracee's task" jq -e '[.files[] | select(.ok and (.path | test("^/proc/[0-9]+/task/[0-9]+/comm$")))] | length == 1' "$(L procself)"
check "procself: not the sensor's own /proc/self" jq -e '[.files[] | select(.path | test("distill-sensor"))] == []' "$(L procself)"
# busybox sh runs its applets by exec of /proc/self/exe: the sensor's binary must not be logged.
check "shebang: not the sensor's own /proc/self" jq -e '[.files[] | select(.path | test("distill-sensor"))] == []' "$(L shebang)"

if [ $A = aarch64 ]; then
# aarch64 only: a path passed through a pointer with a tag in its top byte (tagged address ABI).
check_eq "tagged pointer: the open succeeded in the guest" 0 "$(rc tagged)"
check "tagged pointer: path read and logged" has "$(L tagged)" "$D/plain" file open
check "tagged pointer --exact: path read and logged" has "$(L tagged-exact)" "$D/plain" file open
only_expected "tagged pointer: no invented path" "$(L tagged)" plain
fi

check_eq "tools: exit 0" 0 "$(rc tools)"
check "tools: mkdir -p" has_ops "$(L tools)" /w/a/b create
check "tools: dirs created are dirs" jq -e '[.files[] | select(.path == "/w/a" or .path == "/w/a/b" or .path == "/w/c") | select(.kind == "dir" and (.ops | index("create")))] | length == 3' "$(L tools)"
check "tools: file written (O_CREAT)" has_ops "$(L tools)" /w/a/b/f open create
check "tools: symlink created, then followed" has_ops "$(L tools)" /w/a/l create follow
check "tools: cp's new file renamed away" has_ops "$(L tools)" /w/c/copy create rename
check "tools: the new name of mv, later removed" has_ops "$(L tools)" /w/c/moved create unlink
check "tools: hard link" has_ops "$(L tools)" /w/c/hard create
check "tools: tar's archive created and removed" has_ops "$(L tools)" /w/t.tar create unlink
check "tools: cd into a/b" has_ops "$(L tools)" /w/a/b chdir
D=/w only_expected "tools: no invented path" "$(L tools)" a a/b a/b/f a/l c c/copy c/moved c/hard t.tar
d=$(diff <(files "$(L tools)") <(files "$(L tools-exact)" | sed 's|"/w-exact|"/w|') | head -5)
if [ -z "$d" ]; then ok "tools --exact: same files"; else fail "tools --exact: files differ: $d"; fi

if [ $A = aarch64 ]; then
# A 32-bit ARM program: its syscalls (audit arch ARM) stop too and are reported, not decoded.
check_eq "compat (armhf): exit 0" 0 "$(rc compat)"
check "compat (armhf): the 64-bit exec recorded" has "$(L compat)" /usr/bin/busybox-armhf file exec
check_eq "compat (armhf): warning names the ARM ABI" \
  '["a traced process made syscalls of another ABI (audit arch 0x40000028): their paths are not decoded"]' "$(jq -c .warnings "$(L compat)")"
only_expected "compat (armhf): no invented path" "$(L compat)"
fi

stops() { sed -n 's/^distill-sensor: \([0-9]*\) stops.*/\1/p' "$O/$1.err"; }
filter_arg_checks mmap-dyn
[ $A != s390x ] || check "sock: s390x's glibc went through socketcall (named)" jq -e '.syscalls | index("socketcall")' "$(L sock-syscalls)"

check_eq "uring: exit 0" 0 "$(rc uring)"
check "uring: warning in the log" jq -e '.warnings | any(test("io_uring"))' "$(L uring)"
check "uring: other paths still recorded" has "$(L uring)" "$D/plain" file open

# CPU pinning on a 2-CPU guest: one CPU by default, named in the log; --no-pin keeps both.
cpus() { awk '/^Cpus_allowed_list/ {print $2}' "$O/$1.out"; }
check "pin: the traced command runs on one CPU" bash -c "[[ '$(cpus pin)' =~ ^[0-9]+\$ ]]"
check_eq "pin: the log names that CPU" "$(cpus pin)" "$(jq -r .pinned_cpu "$(L pin)")"
check_eq "pin: --no-pin keeps the command's CPUs" "0-1" "$(cpus nopin)"
check_eq "pin: --no-pin logs pinned_cpu null" null "$(jq -r .pinned_cpu "$(L nopin)")"

check_eq "killself: 128+9" 137 "$(rc killself)"
check "killself: log complete" has "$(L killself)" "$D/before_kill" file open
check_eq "killself: signal" SIGKILL "$(jq -r .signal "$(L killself)")"

check_eq "exit: status passed through" 42 "$(rc exit)"
check_eq "exit: status in log" 42 "$(jq -r .exit_code "$(L exit)")"

# --exact and --syscalls must log the same files.
for m in $MODES; do
  for mode in exact syscalls; do
    if [ ! -s "$(L $m-$mode)" ]; then fail "$m --$mode: no log"; continue; fi
    d=$(diff <(files "$(L $m)") <(files "$(L $m-$mode)") | head -5)
    if [ -z "$d" ]; then ok "$m --$mode: same files"; else fail "$m --$mode: files differ: $d"; fi
  done
done

# The sensor under ASan+UBSan (exit 99 on a report, leaks included) logs the same as the plain one.
for m in $MODES; do
  if [ "$(rc asan-$m)" = 99 ] || grep -q Sanitizer "$O/asan-$m.err" 2>/dev/null || [ ! -s "$(L asan-$m)" ]; then
    fail "sensor under ASan: $m: rc $(rc asan-$m): $(head -5 "$O/asan-$m.err" 2>/dev/null)"; continue
  fi
  norm() { jq -S 'del(.warnings, .pinned_cpu, .main_pid) | .execs[] |= del(.envp, .envp_hex, .pid, .ppid) | .files |= (map(.path |= (sub("^/proc/[0-9]+/task/[0-9]+"; "/proc/PID/task/TID") | sub("^/proc/[0-9]+"; "/proc/PID"))) | sort_by(.path, tojson))' "$1"; }
  d=$(diff <(norm "$(L asan-$m)") <(norm "$(L $m)") | head -20)
  if [ -z "$d" ]; then ok "sensor under ASan: $m (same log)"; else fail "sensor under ASan: $m: log differs: $d"; fi
done

for a in "" --syscalls; do
  check_eq "sensor under ASan${a:+ $a}: every mode in one run, no leak, no report" "0 no report" \
    "$(rc asan-leaks$a) $(grep -q Sanitizer "$O/asan-leaks$a.err" 2>/dev/null && echo report || echo no report)"
  check "sensor under ASan${a:+ $a}: every mode in one run: the files of each" jq -e --arg d "$D" \
    '[.files[] | select(.ok) | .path] as $p | ["plain","sub/in_sub","plain2","sub/rel_after_chdir","rel_after_fchdir","sub/target","from_script","thread_exec_arg","daemon_file","vfork_file","before_kill","libplug.so"] | all(. as $f | $p | index($d + "/" + $f))' "$(L asan-leaks$a)"
done

# (the sensor's stderr shares the console: its one warning line comes before the log)
awk '/^@@@ PID1/ {f=1; next} /Kernel panic/ {exit} f && /^\{"schema"/ {g=1} g' "$T/console.txt" > "$O/pid1.json"
check_eq "pid 1: exit 128+SIGTERM (kernel panic's exitcode)" 0x00008f00 "$(grep -o 'Attempted to kill init! exitcode=0x[0-9a-f]*' "$T/console.txt" | sed 's/.*=//')"
check_eq "pid 1: no process had to be killed (only the timeout warned)" '["--timeout 2 s reached: stopping the command with SIGTERM"]' "$(jq -c .warnings "$O/pid1.json")"
check "pid 1: the daemon's exec logged" jq -e '.execs[] | select(.argv == ["sleep","30"])' "$O/pid1.json"
check_eq "pid 1: exit code in the log" "null SIGTERM" "$(jq -r '"\(.exit_code) \(.signal)"' "$O/pid1.json")"

# ptrace refused: a sensor traced by another sensor cannot trace its own child.
check_eq "already traced: sensor error 125" 125 "$(rc nested)"
check "already traced: clear message" grep -q "already traced" "$O/nested.err"
check "already traced: a log with the reason" jq -e '.warnings | any(test("ptrace refused"))' "$(L nested)"

# A set-user-ID program traced by an unprivileged sensor: the kernel drops its privileges; warned.
check_eq "setuid: the program still runs" 0 "$(rc nobody-suid)"
check "setuid: warning in the log" jq -e '.warnings == ["/usr/bin/progs-suid is set-user/group-ID: under ptrace it runs without those privileges (run the sensor as root to trace it faithfully)"]' "$(L nobody-suid)"
check "setuid: warning on stderr" grep -q "set-user/group-ID" "$O/nobody-suid.err"
check "setuid: paths still logged" has "$(L nobody-suid)" "$D/plain" file open

check_eq "not found: 127" 127 "$(rc nf)"
check "not found: message" grep -q "command not found" "$O/nf.err"
check "not found: log with the failed exec" jq -e '.files[] | select(.path == "/nonexistent/cmd" and (.ok | not))' "$(L nf)"

check_eq "SIGTERM forwarded: app's exit status" 7 "$(rc term)"
check "SIGTERM forwarded: app's last open logged" has "$(L term)" "$D/on_term" file open
check_eq "timeout: 128+SIGTERM" 143 "$(rc to)"
check "timeout: log complete" has "$(L to)" "$D/before_sleep" file open
