#!/usr/bin/env bash
# The hostile-client figures: drill.hostile_client run RUNS times (default 3)
# with its reference herds (WANDERLUXE_HOSTILE_FIGURES=1): in each run the herd
# alone, before and after, against the herd beside a read flood and a
# connection hog from one address. Prints each run's line and the medians of
# the two ratios: p99 beside / alone (target <= 2) and outcomes/s beside /
# alone (target >= 0.9). Needs the local stack (scripts/stack up) and a build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-3}
lines=()
for i in $(seq 1 "$runs"); do
  out=$(WANDERLUXE_HOSTILE_FIGURES=1 build/wanderluxe_tests --test-suite='drill.hostile_client' 2>&1) ||
    { printf '%s\n' "$out" | tail -30; echo "run $i failed" >&2; exit 1; }
  line=$(printf '%s\n' "$out" | grep -o 'hostile-figures: .*')
  echo "run $i: $line"
  lines+=("$line")
done
printf '%s\n' "${lines[@]}" | python3 -c '
import re, statistics, sys
rows = [dict(re.findall(r"(\w+)=([0-9.eE+-]+)", l)) for l in sys.stdin]
p99 = [float(r["hostile_p99_ms"]) / float(r["alone_p99_ms"]) for r in rows]
rate = [float(r["hostile_per_s"]) / float(r["alone_per_s"]) for r in rows]
print(f"median p99 beside / alone: {statistics.median(p99):.2f} (target <= 2)")
print(f"median outcomes/s beside / alone: {statistics.median(rate):.2f} (target >= 0.9)")
'
