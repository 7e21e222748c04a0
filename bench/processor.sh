#!/usr/bin/env bash
# Processor benchmark (issue 4): sagas/s against two bounds, in one run.
#
#   slow bank:  the processor with WORKERS (1000) workers and a 2 s simulated
#               bank, against the Little's-law bound WORKERS / latency (500/s);
#   fast bank:  the processor with CEILING_WORKERS workers and a 0 ms bank,
#               against the ceiling: the same saga calls (ledger, Redis scripts,
#               bank, outcome publish) from as many threads in a plain loop.
#
# Every booking holds a unit, so every saga takes the whole path. Each
# measurement runs RUNS times, interleaved; medians are reported. Needs the
# local stack up and a build (cmake --build build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
BOOKINGS=${BOOKINGS:-10000}
WORKERS=${WORKERS:-1000}
LATENCY_MS=${LATENCY_MS:-2000}
CEILING_WORKERS=${CEILING_WORKERS:-32}
BIN=build/wanderluxe_bench_saga

scripts/stack status >/dev/null || { echo "the local stack is not up: scripts/stack up" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

for run in $(seq "$RUNS"); do
  echo "run $run/$RUNS" >&2
  $BIN --mode processor --bookings "$BOOKINGS" --workers "$WORKERS" --latency-ms "$LATENCY_MS" >> "$OUT/slow.jsonl"
  $BIN --mode ceiling --bookings "$BOOKINGS" --workers "$CEILING_WORKERS" --latency-ms 0 >> "$OUT/ceiling.jsonl"
  $BIN --mode processor --bookings "$BOOKINGS" --workers "$CEILING_WORKERS" --latency-ms 0 >> "$OUT/fast.jsonl"
done

python3 - "$OUT" "$BOOKINGS" "$WORKERS" "$LATENCY_MS" "$CEILING_WORKERS" <<'EOF'
import json, statistics, sys
out, n, workers, latency, cw = sys.argv[1], *map(int, sys.argv[2:])
def load(name, key):
    rows = [json.loads(l) for l in open(f"{out}/{name}.jsonl")]
    return statistics.median(r[key] for r in rows), [round(r[key]) for r in rows]
slow, slow_all = load("slow", "sagas_per_s")
steady, steady_all = load("slow", "steady_sagas_per_s")
ceiling, ceiling_all = load("ceiling", "sagas_per_s")
fast, fast_all = load("fast", "sagas_per_s")
bound = 1000.0 * workers / latency
print(f"{n} bookings per run, every one through the bank; medians of {len(slow_all)} runs\n")
print(f"{'':44} {'sagas/s':>8}  {'runs':<18}")
print(f"{'slow bank: processor, %d workers, %d ms' % (workers, latency):44} {slow:8.0f}  {slow_all}")
print(f"{'  same, steady state (10%..90% done)':44} {steady:8.0f}  {steady_all}")
print(f"{'  Little-law bound workers/latency':44} {bound:8.0f}")
print(f"{'fast bank: processor, %d workers, 0 ms' % cw:44} {fast:8.0f}  {fast_all}")
print(f"{'  ceiling: same calls, %d threads, plain loop' % cw:44} {ceiling:8.0f}  {ceiling_all}")
print()
print(f"slow bank / Little-law bound:   {slow / bound:.2f} (steady {steady / bound:.2f})")
print(f"slow bank / fast-bank ceiling:  {slow / ceiling:.2f}")
print(f"fast bank / ceiling:            {fast / ceiling:.2f}")
EOF
