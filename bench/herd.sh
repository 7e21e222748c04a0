#!/usr/bin/env bash
# The thundering herd end to end (issue 6): bank, processor, audit and gateway
# as processes on their own topics, database and ports, then `wanderluxe
# loadtest` and an independent `wanderluxe verify` (I1-I6) of the same property.
#
#   bench/herd.sh                          100,000 requests, 500 connections, 5 units
#   REQUESTS=10000 bench/herd.sh           the issue's acceptance run
#   DECLINE_PCT=10 TIMEOUT_PCT=10 ...      with a faulty bank
#   REQUESTS=2000 INVENTORY=500 BANK_LATENCY_MS=2000 BANK_TIMEOUT_MS=5000 \
#     PAYMENT_DEADLINE_MS=15000 EXTRA_SETS="processor.workers=1000" bench/herd.sh
#                                          500 units sold through a 2 s bank
#   REPORT=herd.html bench/herd.sh         the page (issue 16) there, its JSON beside
#                                          it as herd.json (default: in the run's dir)
#
# Reports the loadtest's JSON (accepted/s, latency, outcomes, herdSeconds,
# drainSeconds, totalSeconds = first request to last booking terminal, and
# I1-I7) and verify's verdict. Needs the local stack up and a build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

REQUESTS=${REQUESTS:-100000}
CONCURRENCY=${CONCURRENCY:-500}
INVENTORY=${INVENTORY:-5}
DUPLICATES=${DUPLICATES:-0.1}
DECLINE_PCT=${DECLINE_PCT:-0}
TIMEOUT_PCT=${TIMEOUT_PCT:-0}
BANK_LATENCY_MS=${BANK_LATENCY_MS:-200}
BANK_TIMEOUT_MS=${BANK_TIMEOUT_MS:-1000}          # bank.request_timeout_ms: above the latency
PAYMENT_DEADLINE_MS=${PAYMENT_DEADLINE_MS:-3000}  # saga.payment_deadline_ms
BIN=${BIN:-build/wanderluxe}  # another build, for an A/B run
REPORT=${REPORT:-}

scripts/stack status >/dev/null || { echo "the local stack is not up: scripts/stack up" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }

# The run's properties live in a Redis database of the benches' own (as in
# bench/gateway.sh), its ledger in a Mongo database of its own: neither is
# the demo's, so a later system-wide `wanderluxe verify` of database 0 never
# meets a property whose ledger it cannot see. scripts/test passes 15 (the tests').
export WANDERLUXE_REDIS_DATABASE=${WANDERLUXE_REDIS_DATABASE:-11}

RUN=herd-$(date +%s)-$$
DIR=$(mktemp -d /tmp/wanderluxe-$RUN.XXXX)
BANK_PORT=${BANK_PORT:-18090}
GATEWAY_PORT=${GATEWAY_PORT:-18080}
AUDIT_ADMIN_PORT=${AUDIT_ADMIN_PORT:-18082}
PROCESSOR_ADMIN_PORT=${PROCESSOR_ADMIN_PORT:-18081}
sets=(--set kafka.requests_topic=$RUN.requests --set kafka.outcomes_topic=$RUN.outcomes
      --set kafka.dlq_topic=$RUN.dlq --set processor.group_id=$RUN
      --set processor.admin_port=$PROCESSOR_ADMIN_PORT
      --set mongo.database=$RUN --set bank.mode=http --set bank.port=$BANK_PORT
      --set bank.url=http://127.0.0.1:$BANK_PORT --set bank.book_path=$DIR/charges.jsonl
      --set bank.latency_ms=$BANK_LATENCY_MS --set bank.decline_pct=$DECLINE_PCT
      --set bank.timeout_pct=$TIMEOUT_PCT --set bank.request_timeout_ms=$BANK_TIMEOUT_MS
      --set saga.payment_deadline_ms=$PAYMENT_DEADLINE_MS
      --set audit.group_id=$RUN-audit --set audit.dir=$DIR/audit --set audit.admin_port=$AUDIT_ADMIN_PORT
      --set gateway.port=$GATEWAY_PORT
      --set redis.pool_size=$((CONCURRENCY + 16)) --set log.level=warn)
# More overrides, e.g. EXTRA_SETS="processor.workers=1000 mongo.pool_max=128".
for s in ${EXTRA_SETS:-}; do sets+=(--set "$s"); done

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
wait_http() {  # url: up to 30 s for the role to answer
  for _ in $(seq 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done
  echo "no answer from $1; logs in $DIR" >&2
  exit 1
}

# A port still held (by an earlier run's role) would let this run's checks
# talk to that run's bank or gateway: refuse to start instead.
for port in $BANK_PORT $GATEWAY_PORT $AUDIT_ADMIN_PORT $PROCESSOR_ADMIN_PORT; do
  if ss -ltnH "sport = :$port" | grep -q .; then
    echo "port $port is in use (an earlier run still going?): $(ss -ltnpH "sport = :$port")" >&2
    exit 1
  fi
done
$BIN topics ensure "${sets[@]}" > /dev/null
for role in bank processor audit gateway; do
  $BIN "$role" "${sets[@]}" > "$DIR/$role.log" 2>&1 &
  pids+=($!)
done
wait_http "http://127.0.0.1:$BANK_PORT/healthz"
wait_http "http://127.0.0.1:$GATEWAY_PORT/readyz"
# A flash sale meets a processor already running: the herd starts once it
# owns the requests topic's partitions, so its start-up is not in the figures.
# (The metrics are read whole first: `curl | grep -q` under pipefail fails
# when grep's early exit cuts curl off.)
owns_partitions() {
  local metrics
  metrics=$(curl -fs "http://127.0.0.1:$PROCESSOR_ADMIN_PORT/metrics" 2>/dev/null) || return 1
  grep -q '^processor_assigned_partitions [1-9]' <<< "$metrics"
}
for _ in $(seq 300); do owns_partitions && break; sleep 0.1; done
owns_partitions || { echo "the processor owns no partition after 30 s; logs in $DIR" >&2; exit 1; }
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { echo "a role exited at start; logs in $DIR" >&2; exit 1; }
done

echo "herd: $REQUESTS requests, $CONCURRENCY connections, $INVENTORY units, bank declines" \
     "$DECLINE_PCT% and times out $TIMEOUT_PCT%; logs in $DIR" >&2
property=prop-$RUN
set +e
$BIN loadtest "${sets[@]}" --url "http://127.0.0.1:$GATEWAY_PORT" --property "$property" \
  --inventory "$INVENTORY" --requests "$REQUESTS" --concurrency "$CONCURRENCY" \
  --duplicates "$DUPLICATES" --timeout 1800 --audit-wait 120 --json --report "$DIR/herd.html" \
  > "$DIR/loadtest.json"
loadtest_rc=$?
if [ -n "$REPORT" ]; then
  cp "$DIR/herd.html" "$REPORT" && cp "$DIR/loadtest.json" "${REPORT%.html}.json"
fi
echo "report: ${REPORT:-$DIR/herd.html}" >&2
# I6 needs the audit to have archived both topics: wait for it, bounded.
count() { kcat -b "${KAFKA:-127.0.0.1:9092}" -C -t "$1" -e -q -f 'x\n' 2>/dev/null | wc -l; }
expected=$(( $(count "$RUN.requests") + $(count "$RUN.outcomes") ))
archived() { curl -fs "http://127.0.0.1:$AUDIT_ADMIN_PORT/metrics" | awk '/^audit_archived_total/ {print $2}'; }
# Bounded by progress: give up once the count has not moved for 30 s.
last=-1 still=0
while now=$(archived || echo 0); [ "$now" -lt "$expected" ] && [ $still -lt 150 ]; do
  if [ "$now" = "$last" ]; then still=$((still + 1)); else still=0 last=$now; fi
  sleep 0.2
done
echo "audit: $(archived) of $expected events archived" >&2
# I4 from the requests topic (every 202 the gateway published), not the loadtest's list.
$BIN verify "${sets[@]}" --property "$property" > "$DIR/verify.txt" 2>&1
verify_rc=$?
set -e
cat "$DIR/loadtest.json"
echo "--- wanderluxe verify --property $property (exit $verify_rc)"
grep -v '^\[' "$DIR/verify.txt" || true
[ $loadtest_rc = 0 ] && [ $verify_rc = 0 ]
