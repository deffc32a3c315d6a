#!/usr/bin/env python3
"""Compare the successful paths of a distill trace log with `strace -f -y -e trace=%file,%process`.

Usage: strace_compare.py STRACE_OUT TRACE_JSON CWD
STRACE_OUT from `strace -f -y -e trace=%file,%process,fchdir` (fchdir is not in %file, yet moves
the cwd that later relative paths use).
Both sides are reduced to canonical final paths (parents symlink-resolved; the last component
resolved too unless the syscall does not follow it). Prints the differences; exit 1 when any.
Known, justified differences (removed before comparing):
  - the ELF interpreter (PT_INTERP) and #! interpreters are opened by the kernel inside execve: the
    sensor records them (op map/exec), strace cannot see them;
  - the sensor also lists each walked symlink as its own entry (op follow only): strace has no such
    notion, so entries whose only op is "follow" are left out of the comparison;
  - /proc/<pid>/... differ from run to run: pids are replaced by PID on both sides.
"""
import json, os, re, sys

NOFOLLOW = {"lstat", "readlink", "readlinkat", "unlink", "unlinkat", "rmdir", "lchown", "lgetxattr",
            "llistxattr", "lsetxattr", "lremovexattr", "mkdir", "mkdirat", "mknod", "mknodat",
            "symlink", "symlinkat", "rename", "renameat", "renameat2", "link", "linkat"}
SKIP = {"getcwd", "chroot"}
line_re = re.compile(r'^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+|\?)')
str_re = re.compile(r'"((?:[^"\\]|\\.)*)"')

def unescape(s):
    return bytes(s, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")

def canon(path, follow):
    if follow:
        return os.path.realpath(path)
    d, b = os.path.split(os.path.normpath(path))
    return os.path.join(os.path.realpath(d), b) if b else os.path.realpath(path)

def strace_calls(fname):
    """(pid, name, args, ret) of each finished call, in the file's order, with <unfinished ...>
    and <... resumed> halves joined."""
    pending, calls = {}, []
    for raw in open(fname, errors="replace"):
        raw = raw.rstrip("\n")
        m = re.match(r'^(\d+)\s+(.*)$', raw)
        if not m:
            continue
        pid, rest = m.group(1), m.group(2)
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")]
            continue
        r = re.match(r'^<\.\.\. \w+ resumed>(.*)$', rest)
        if r:
            rest = pending.pop(pid, "") + r.group(1)
        m = line_re.match(pid + " " + rest)
        if m:
            calls.append(m.groups())
    return calls

def strace_paths(fname, cwd):
    # Each process is replayed on its own, starting in its parent's cwd at the fork. Under load
    # strace writes a child's first calls before the parent's clone() returns, so the file's order
    # cannot give a child its cwd.
    by_pid, first = {}, None
    for call in strace_calls(fname):
        by_pid.setdefault(call[0], []).append(call)
        first = first or call[0]
    out, seen = set(), set()
    todo = [(first, cwd)] if first else []
    # A process whose clone line is missing (strace attached late) is replayed from the start cwd.
    late = [(pid, cwd) for pid in by_pid]
    while todo or late:
        if not todo:
            todo.append(late.pop(0))
        pid, cur = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for _, name, args, ret in by_pid.get(pid, []):
            if ret == "?" or int(ret) < 0 or name in SKIP:
                continue
            if name in ("clone", "clone3", "fork", "vfork") and int(ret) > 0:
                todo.append((ret, cur))       # a child starts in its parent's cwd
                continue
            if name == "fchdir":
                fm = re.match(r'^\d+<([^>]*)>', args)
                if fm:
                    cur = fm.group(1)
                continue
            if name in ("execve", "execveat") and ret != "0":
                continue
            strs = str_re.findall(args)
            if not strs:
                continue
            base = cur
            dm = re.match(r'^(\d+)<([^>]*)>,\s*"', args)      # dirfd decoded by -y
            if dm:
                base = dm.group(2)
            idx = [0]
            if name in ("rename", "renameat", "renameat2", "link", "linkat"):
                idx = [0, 1]
            if name in ("symlink", "symlinkat"):
                idx = [1]
            for i in idx:
                if i >= len(strs):
                    continue
                p = unescape(strs[i])
                if not p:
                    continue
                if name in ("renameat", "renameat2", "linkat") and i == 1:
                    dm2 = re.search(r',\s*(\d+)<([^>]*)>,\s*"', args)
                    b2 = dm2.group(2) if dm2 else cur
                    p = os.path.join(b2, p)
                else:
                    p = os.path.join(base, p)
                follow = name not in NOFOLLOW and "AT_SYMLINK_NOFOLLOW" not in args and "O_NOFOLLOW" not in args
                c = canon(p, follow)
                out.add(re.sub(r'^/proc/\d+/', '/proc/PID/', c))
                if name == "chdir":
                    cur = c
    return out

def trace_paths(fname):
    d = json.load(open(fname))
    ours, extras = set(), set()
    for f in d["files"]:
        if not f["ok"] or f["ops"] == ["follow"]:
            continue
        ours.add(re.sub(r'^/proc/\d+/', '/proc/PID/', f["path"]))
    return ours

def main():
    st = strace_paths(sys.argv[1], sys.argv[3])
    ours = trace_paths(sys.argv[2])
    # Kernel-side opens at exec (see the module docstring).
    kernel = {os.path.realpath("/lib64/ld-linux-x86-64.so.2"), os.path.realpath("/lib/ld-linux-aarch64.so.1")}
    only_ours = sorted(p for p in ours - st if p not in kernel)
    only_strace = sorted(st - ours)
    for p in only_ours:
        print("only in distill trace:", p)
    for p in only_strace:
        print("only in strace:", p)
    print(f"strace {len(st)} paths, distill {len(ours)} paths, {len(only_ours)} + {len(only_strace)} differences")
    sys.exit(1 if only_ours or only_strace else 0)

main()
