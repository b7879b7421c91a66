#!/bin/sh
# fuzz/run.sh BUILD SECONDS [TARGET...]: run each libFuzzer program of
# BUILD/fuzz for SECONDS (default: every fuzz_* there). New inputs go to
# BUILD/fuzz-corpus/NAME (the committed fuzz/corpus/NAME is read, never
# written); crashes go to BUILD/fuzz-crashes/. Ends with one line per
# target: executions, coverage (edges) and features, from libFuzzer's
# final statistics. Exit status 1 when any target crashed.
set -u
build=${1:?usage: fuzz/run.sh BUILD SECONDS [TARGET...]}
seconds=${2:-60}
shift 2 2>/dev/null || shift $#
src=$(cd "$(dirname "$0")" && pwd)
targets=${*:-$(cd "$build/fuzz" && ls fuzz_* 2>/dev/null | sed 's/^fuzz_//')}
[ -n "$targets" ] || { echo "fuzz/run.sh: no fuzz_* programs in $build/fuzz" >&2; exit 1; }
mkdir -p "$build/fuzz-crashes"
status=0
summary=""
for t in $targets; do
    work="$build/fuzz-corpus/$t"
    log="$build/fuzz-$t.log"
    mkdir -p "$work"
    echo "== fuzz_$t for $seconds s"
    "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -print_final_stats=1 \
        -close_fd_mask=3 -timeout=10 -rss_limit_mb=1024 \
        -artifact_prefix="$build/fuzz-crashes/$t-" "$work" "$src/corpus/$t" >"$log" 2>&1
    rc=$?
    [ $rc -eq 0 ] || { status=1; tail -40 "$log"; }
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -Eo 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    summary="$summary$(printf '%-10s rc=%d executions=%s coverage=%s features=%s' \
        "$t" "$rc" "${execs:-?}" "${cov:-?}" "${ft:-?}")
"
done
printf '%s' "$summary"
exit $status
