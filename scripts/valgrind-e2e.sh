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
failed=""
for t in $tests; do
    echo "== $t under valgrind"
    SOCKLAB="$logs/socklab" SOCKLAB_BUILD="$build" SOCKLAB_TEST_SLOW="${SOCKLAB_TEST_SLOW:-5}" \
      SOCKLAB_VALGRIND=1 PYTHONDONTWRITEBYTECODE=1 timeout 1500 python3 -m unittest "$t"
    rc=$?
    [ $rc -eq 0 ] || [ $rc -eq 77 ] || failed="$failed $t"
done
# A report with errors, leaks, or descriptors beyond the three standard ones.
bad=0
for f in "$logs"/*.log; do
    [ -f "$f" ] || continue
    if grep -qE 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]|indirectly lost: [1-9]|Invalid (read|write)|uninitialised' "$f" ||
       grep -E 'FILE DESCRIPTORS: [0-9]+ open' "$f" | grep -qvE 'FILE DESCRIPTORS: [0-3] open'; then
        echo "== valgrind found a problem: $f"
        cat "$f"
        bad=1
    fi
done
n=$(ls "$logs"/*.log 2>/dev/null | wc -l)
echo "valgrind: $n socklab processes checked; tests failed:${failed:- none}"
[ -z "$failed" ] && [ $bad -eq 0 ]
