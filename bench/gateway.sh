#!/usr/bin/env bash
# Gateway benchmark: accepted bookings/s and latency at 256 connections, next to
# two ceilings measured in the same run on the same machine:
#   - the HTTP ceiling: wrk against GET /healthz on the same server;
#   - the broker ceiling: Kafka's own ProducerPerformance, acks=all, same record size.
# Each measurement runs RUNS times; medians are reported. Needs the local stack up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-256}
WRK_THREADS=${WRK_THREADS:-2}
PORT=${BENCH_PORT:-18080}
TOPIC=bench.requests
TOOLS=${WANDERLUXE_TOOLS:-$HOME/.cache/wanderluxe}
KAFKA_LIBS=$(ls -d "$TOOLS"/kafka-*/libs | head -n1)
BIN=build/wanderluxe
OUT=$(mktemp -d)

scripts/stack status >/dev/null || { echo "the local stack is not up: scripts/stack up" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }

common_sets=(--set kafka.requests_topic=$TOPIC --set log.level=warn)
$BIN topics ensure "${common_sets[@]}" >/dev/null
java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 \
  --create --if-not-exists --topic $TOPIC --partitions 6 --replication-factor 1 >/dev/null 2>&1 || true

$BIN gateway "${common_sets[@]}" --set gateway.port=$PORT --set gateway.listen_host=127.0.0.1 \
  --set gateway.threads=$((CONNECTIONS + 16)) --set gateway.max_inflight=100000 \
  --set redis.pool_size=$((CONNECTIONS + 16)) 2>"$OUT/gateway.log" &
GW=$!
trap 'kill -TERM $GW 2>/dev/null; wait $GW 2>/dev/null; rm -rf "$OUT"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$OUT/gateway.log"; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# wrk --latency prints "50%  1.23ms"; normalise to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }

run_wrk() {  # name, then wrk args
  local name=$1; shift
  for i in $(seq "$RUNS"); do
    BENCH_NONCE="$(date +%s%N)" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" \
      > "$OUT/$name.$i.txt"
    grep -q "Non-2xx" "$OUT/$name.$i.txt" && { echo "$name: non-2xx answers:"; cat "$OUT/$name.$i.txt"; }
    awk '/Requests\/sec/ {print $2}' "$OUT/$name.$i.txt" >> "$OUT/$name.rps"
    awk '$1=="50%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p50"
    awk '$1=="99%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p99"
  done
}

echo "== accept: POST /api/v1/bookings, $CONNECTIONS connections, $RUNS x $DURATION"
run_wrk accept -s bench/gateway_accept.lua "http://127.0.0.1:$PORT"
echo "== HTTP ceiling: GET /healthz"
run_wrk healthz "http://127.0.0.1:$PORT/healthz"

echo "== broker ceiling: ProducerPerformance acks=all, 450-byte records"
for i in $(seq "$RUNS"); do
  java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.ProducerPerformance --topic $TOPIC \
    --num-records 300000 --record-size 450 --throughput -1 \
    --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true linger.ms=2 \
    2>/dev/null | tail -n1 > "$OUT/broker.$i.txt"
  awk '{print $4}' "$OUT/broker.$i.txt" >> "$OUT/broker.rps"
done

accept=$(median < "$OUT/accept.rps"); health=$(median < "$OUT/healthz.rps"); broker=$(median < "$OUT/broker.rps")
printf '\n%-34s %12s %10s %10s\n' "median of $RUNS runs" "req/s" "p50 ms" "p99 ms"
printf '%-34s %12.0f %10s %10s\n' "accepted bookings (202)" "$accept" "$(median < "$OUT/accept.p50")" "$(median < "$OUT/accept.p99")"
printf '%-34s %12.0f %10s %10s\n' "HTTP ceiling (GET /healthz)" "$health" "$(median < "$OUT/healthz.p50")" "$(median < "$OUT/healthz.p99")"
printf '%-34s %12.0f\n' "broker ceiling (acks=all records/s)" "$broker"
awk -v a="$accept" -v h="$health" -v b="$broker" 'BEGIN {printf "ratio to HTTP ceiling:   %.2f\nratio to broker ceiling: %.2f\n", a/h, a/b}'
