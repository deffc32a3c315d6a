# A shell session with everyday tools (cd, mkdir -p, ln -s, cp, mv, ls, tar, rm, find, perl, python)
# in the directory $1: traced by both strace and distill-sensor in test_trace.sh.
set -e
cd "$1"
mkdir -p a/b c
echo hi > a/b/f
ln -sf b/f a/l
cp a/l c/copy
mv c/copy c/moved
ls -la a c >/dev/null
cd a/b && cat ../l >/dev/null && cd ../..
tar cf t.tar a 2>/dev/null
rm -f t.tar c/moved
find . -name '*f*' >/dev/null
perl -e 'opendir(D, "/etc"); readdir D; stat("/etc/passwd");' 2>/dev/null || true
/usr/bin/python3 -c 'import os; os.listdir("/usr"); os.path.exists("/nonexistent/x")'
