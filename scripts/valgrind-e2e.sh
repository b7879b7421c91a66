#!/bin/sh
# scripts/valgrind-e2e.sh BUILD [TEST...]: the end-to-end tests with every
# socklab process they start running under valgrind's memcheck
# (--leak-check=full --track-fds=yes --error-exitcode=1). The tests find
# socklab through $SOCKLAB, which points here at a wrapper; each process
# writes its report to BUILD/valgrind/PID.log. Afterwards every report is
# checked: memory errors, definite or indirect leaks, or descriptors other
# than 0-2 left open at exit fail the run. Deadlines are stretched
# (SOCKLAB_TEST_SLOW) since valgrind runs code 20-50 times slower.
set -u
build=$(cd "${1:?usage: scripts/valgrind-e2e.sh BUILD [TEST...]}" && pwd)
shift
command -v valgrind >/dev/null 2>&1 || { echo "valgrind-e2e: valgrind is not installed" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
logs="$build/valgrind"
rm -rf "$logs"
mkdir -p "$logs"
cat >"$logs/socklab" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \\
  --errors-for-leak-kinds=definite,indirect --track-fds=yes --error-exitcode=1 \\
  --log-file="$logs/%p.log" "$build/socklab" "\$@"
WRAP
chmod +x "$logs/socklab"
cd "$here/tests/e2e" || exit 1
tests=${*:-$(ls test_*.py | sed 's/\.py$//')}
# Two test files at a time (VALGRIND_JOBS); each one's output in its own file.
printf '%s\n' $tests | xargs -P "${VALGRIND_JOBS:-2}" -I{} sh -c '
    SOCKLAB="$1/socklab" SOCKLAB_BUILD="$2" SOCKLAB_TEST_SLOW="${SOCKLAB_TEST_SLOW:-5}" \
      SOCKLAB_VALGRIND=1 PYTHONDONTWRITEBYTECODE=1 timeout 1500 \
      python3 -m unittest "$3" >"$1/$3.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then echo "== $3 under valgrind: ok"
    else echo "== $3 under valgrind: FAILED"; tail -60 "$1/$3.out"; touch "$1/$3.failed"; fi
' sh "$logs" "$build" {}
failed=$(cd "$logs" && ls *.failed 2>/dev/null | sed 's/\.failed$//' | tr '\n' ' ')
# A report with errors or leaks fails the run; so does a descriptor left open
# at exit other than 0-2 and valgrind's own log, in a process socklab was
# started as (a forked child that ends with _exit holds its parent's
# descriptors, which the kernel closes: not a leak).
bad=0
for f in "$logs"/*.log; do
    [ -f "$f" ] || continue
    pid=$(basename "$f" .log)
    problem=0
    grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]' "$f" && problem=1
    if grep -qE "Open file descriptor [0-9]+: .*/valgrind/$pid\.log" "$f" &&
       grep -E '^==[0-9]+== Open ' "$f" | grep -vE 'descriptor [012]:' |
         grep -qvE '/valgrind/[0-9]+\.log'; then
        problem=1
    fi
    if [ $problem -eq 1 ]; then
        echo "== valgrind found a problem: $f"
        cat "$f"
        bad=1
    fi
done
n=$(ls "$logs"/*.log 2>/dev/null | wc -l)
echo "valgrind: $n socklab processes checked; test files failed: ${failed:-none}"
[ -z "$failed" ] && [ $bad -eq 0 ]
