#!/usr/bin/env bash
# SIGKILL a running campaign twice at random moments, resume it, and check that the job store
# holds every job exactly once (ids under "key") and that the final table equals the one of an
# uninterrupted run. Usage: kill_resume_test.sh NNMIP
set -uo pipefail
NNMIP=$1
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
run() { "$NNMIP" -q experiment selftest --scale small -o "$1" >/dev/null 2>&1; }
for round in 1 2; do
  "$NNMIP" -q experiment selftest --scale small -o "$DIR/killed" >/dev/null 2>&1 &
  pid=$!
  # A random moment: 0.2-2.0 s after the start (a run takes a few seconds).
  sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.2 + 1.8 * rand() }')"
  kill -9 "$pid" 2>/dev/null && echo "round $round: killed pid $pid" || echo "round $round: ended before the kill"
  wait "$pid" 2>/dev/null
  if [ -f "$DIR/killed/selftest/jobs.jsonl" ]; then
    echo "  $(grep -c . "$DIR/killed/selftest/jobs.jsonl") lines stored"
  fi
done
run "$DIR/killed" || { echo "FAIL: resume failed"; exit 1; }
run "$DIR/fresh" || { echo "FAIL: uninterrupted run failed"; exit 1; }
J=$DIR/killed/selftest/jobs.jsonl
total=$(grep -o '"key":"[^"]*"' "$J" | wc -l)
unique=$(grep -o '"key":"[^"]*"' "$J" | sort -u | wc -l)
lines=$(grep -c . "$J")
echo "jobs.jsonl: $lines lines, $total ids, $unique distinct"
[ "$total" -eq 24 ] && [ "$unique" -eq 24 ] && [ "$lines" -eq 24 ] || { echo "FAIL: expected 24 jobs exactly once"; exit 1; }
if ! cmp -s "$DIR/killed/selftest/selftest.csv" "$DIR/fresh/selftest/selftest.csv"; then
  echo "FAIL: tables differ"
  diff "$DIR/killed/selftest/selftest.csv" "$DIR/fresh/selftest/selftest.csv"
  exit 1
fi
echo "PASS: every job once, the same table as an uninterrupted run"
