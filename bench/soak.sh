#!/usr/bin/env bash
# Soak (issue 12; not in CI): steady open-loop load on the system `scripts/up`
# runs, with every role's resident memory and open descriptors sampled every
# SAMPLE_S seconds. At the end, per role: the level after warm-up (median of
# the samples in minutes 2-3), the level at the end (median of the last three)
# and the growth between them; "flat" when every role grew less than
# FLAT_PCT % in memory and FLAT_FDS descriptors.
#
#   scripts/up && bench/soak.sh      DURATION_S=600 RATE=100 SAMPLE_S=10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib/common.sh
DURATION_S=${DURATION_S:-600} RATE=${RATE:-100} SAMPLE_S=${SAMPLE_S:-10}
FLAT_PCT=${FLAT_PCT:-10} FLAT_FDS=${FLAT_FDS:-16}
ROLES=(bank processor audit gateway)
BIN=build/wanderluxe
out=${SOAK_OUT:-/tmp/wanderluxe-soak-$(date +%Y%m%dT%H%M%S)}
mkdir -p "$out"

pid_of() { cat "$STACK_DIR/roles/$1.pid" 2>/dev/null; }
for role in "${ROLES[@]}"; do
  pid=$(pid_of "$role" || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || die "$role is not running: start the system with scripts/up"
done

property=soak-$(date +%s)
requests=$((DURATION_S * ${RATE%.*}))
echo "soak: $requests requests at $RATE/s for ${DURATION_S}s on $property (units for all of them);" \
  "samples every ${SAMPLE_S}s in $out/samples.csv"
"$BIN" seed "$property" "$requests" >/dev/null
"$BIN" loadtest --property "$property" --requests "$requests" --rate "$RATE" \
  --concurrency 64 --timeout 600 > "$out/loadtest.txt" 2>&1 &
load=$!

echo "t_s,role,rss_kib,fds,threads" > "$out/samples.csv"
start=$SECONDS
while kill -0 "$load" 2>/dev/null; do
  for role in "${ROLES[@]}"; do
    pid=$(pid_of "$role")
    rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo -1)
    fds=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    threads=$(awk '/^Threads/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo -1)
    echo "$((SECONDS - start)),$role,$rss,$fds,$threads" >> "$out/samples.csv"
  done
  sleep "$SAMPLE_S"  # the sampling period itself, not a readiness wait
done
wait "$load" && load_rc=0 || load_rc=$?
tail -n 20 "$out/loadtest.txt"

flat_rc=0
python3 - "$out/samples.csv" "$FLAT_PCT" "$FLAT_FDS" <<'EOF_PY' || flat_rc=$?
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
flat_pct, flat_fds = float(sys.argv[2]), int(sys.argv[3])
ok = True
print(f"{'role':10} {'rss@warm':>10} {'rss@end':>10} {'growth':>7} {'fds@warm':>8} {'fds@end':>7} {'threads@end':>11}")
for role in sorted({r['role'] for r in rows}):
    s = [r for r in rows if r['role'] == role]
    warm = [r for r in s if 120 <= int(r['t_s']) < 180] or s[: max(1, len(s) // 3)]
    end = s[-3:]
    med = lambda xs, k: statistics.median(int(x[k]) for x in xs)
    rss_w, rss_e, fd_w, fd_e = med(warm, 'rss_kib'), med(end, 'rss_kib'), med(warm, 'fds'), med(end, 'fds')
    growth = (rss_e - rss_w) / rss_w * 100 if rss_w > 0 else 0
    flat = growth < flat_pct and fd_e - fd_w < flat_fds
    ok &= flat
    print(f"{role:10} {rss_w/1024:9.1f}M {rss_e/1024:9.1f}M {growth:6.1f}% {fd_w:8.0f} {fd_e:7.0f} {med(end,'threads'):11.0f}  {'flat' if flat else 'GROWING'}")
print("soak:", "flat" if ok else "NOT flat")
sys.exit(0 if ok else 1)
EOF_PY
[ "$load_rc" = 0 ] || die "loadtest exited $load_rc (see $out/loadtest.txt)"
exit "$flat_rc"
