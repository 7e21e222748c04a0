#!/usr/bin/env bash
# Gateway benchmark (issue 13): accepted bookings/s and latency at 256
# connections, next to the ceilings measured in the same run on the same
# machine, then the same load beside 10,000 idle keep-alive connections and
# beside 1,000 slow clients:
#   - HTTP ceiling: nginx `return 200` with one worker (installed from Debian
#     if missing), and the gateway's own GET /healthz, same wrk settings;
#   - broker ceiling: Kafka's own ProducerPerformance, acks=all, same record size.
# Each measurement runs RUNS times; medians are reported. Needs the local stack up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-256}
IDLE_CONNECTIONS=${IDLE_CONNECTIONS:-10000}
SLOW_CLIENTS=${SLOW_CLIENTS:-1000}
HEADER_TIMEOUT_MS=${HEADER_TIMEOUT_MS:-10000}
WRK_THREADS=${WRK_THREADS:-2}
TOPIC=bench.requests
TOOLS=${WANDERLUXE_TOOLS:-$HOME/.cache/wanderluxe}
KAFKA_LIBS=$(ls -d "$TOOLS"/kafka-*/libs | head -n1)
BIN=build/wanderluxe
OUT=$(mktemp -d)

scripts/stack status >/dev/null || { echo "the local stack is not up: scripts/stack up" >&2; exit 1; }
[ -x "$BIN" ] || { echo "build first: cmake --build build" >&2; exit 1; }
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx-light (the HTTP ceiling) from Debian"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q nginx-light >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
# 10,000 idle connections plus the load: the bench's own descriptors too.
ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=${BENCH_PORT:-$(free_port)}
NGINX_PORT=$(free_port)

# The bench's idempotency records (two keys per booking, kept a day) go to a
# Redis database of their own, emptied before and after: left in the demo's
# database they grew it to millions of keys, and Redis rewriting that AOF
# in the middle of a later run cost it a third of its rate.
BENCH_REDIS_DB=${BENCH_REDIS_DB:-11}
redis-cli -n "$BENCH_REDIS_DB" flushdb >/dev/null
common_sets=(--set kafka.requests_topic=$TOPIC --set log.level=warn --set redis.database=$BENCH_REDIS_DB)
$BIN topics ensure "${common_sets[@]}" >/dev/null
java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 \
  --create --if-not-exists --topic $TOPIC --partitions 6 --replication-factor 1 >/dev/null 2>&1 || true

$BIN gateway "${common_sets[@]}" --set gateway.port=$PORT --set gateway.listen_host=127.0.0.1 \
  --set gateway.max_inflight=100000 --set gateway.header_timeout_ms=$HEADER_TIMEOUT_MS \
  2>"$OUT/gateway.log" &
GW=$!
cat > "$OUT/nginx.conf" <<NGINX
worker_processes 1;
pid $OUT/nginx.pid;
error_log $OUT/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;
  client_body_temp_path $OUT; proxy_temp_path $OUT; fastcgi_temp_path $OUT;
  uwsgi_temp_path $OUT; scgi_temp_path $OUT;
  server { listen 127.0.0.1:$NGINX_PORT; location / { return 200 '{"status":"ok"}'; } }
}
NGINX
"$NGINX" -c "$OUT/nginx.conf" -p "$OUT" -g 'daemon off;' 2>"$OUT/nginx.stderr" &
NGINX_PID=$!
cleanup() {
  kill -TERM $GW $NGINX_PID 2>/dev/null || true
  wait $GW $NGINX_PID 2>/dev/null || true
  redis-cli -n "$BENCH_REDIS_DB" flushdb >/dev/null || true
  rm -rf "$OUT"
}
trap cleanup EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || { cat "$OUT/gateway.log"; exit 1; }
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$NGINX_PORT/" >/dev/null && break; sleep 0.1; done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# wrk --latency prints "50%  1.23ms"; normalise to milliseconds.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; printf "%.2f\n", v}'; }
rss_mib() { awk '/VmRSS/ {printf "%.0f\n", $2/1024}' /proc/$GW/status; }
threads() { awk '/Threads/ {print $2}' /proc/$GW/status; }

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f\n", ($14 + $15) / hz}' "/proc/$1/stat"; }
listener_pid() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2; }
REDIS_PID=$(listener_pid 6379); KAFKA_PID=$(listener_pid 9092)

wrk_once() {  # name, i, then wrk args
  local name=$1 i=$2; shift 2
  local before=("$(cpu_seconds $GW)" "$(cpu_seconds "$REDIS_PID")" "$(cpu_seconds "$KAFKA_PID")")
  BENCH_NONCE="$name-$i-$(date +%s%N)" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" \
    --latency "$@" > "$OUT/$name.$i.txt"
  # CPU microseconds per request of the gateway, Redis and Kafka over the run.
  local requests; requests=$(awk '/requests in/ {print $1}' "$OUT/$name.$i.txt")
  awk -v n="$requests" -v g0="${before[0]}" -v r0="${before[1]}" -v k0="${before[2]}" \
    -v g1="$(cpu_seconds $GW)" -v r1="$(cpu_seconds "$REDIS_PID")" -v k1="$(cpu_seconds "$KAFKA_PID")" \
    'BEGIN {printf "%.0f %.0f %.0f\n", (g1-g0)/n*1e6, (r1-r0)/n*1e6, (k1-k0)/n*1e6}' >> "$OUT/$name.cpu"
  grep -q "Non-2xx" "$OUT/$name.$i.txt" && { echo "$name: non-2xx answers:"; cat "$OUT/$name.$i.txt"; }
  awk '/Requests\/sec/ {print $2}' "$OUT/$name.$i.txt" >> "$OUT/$name.rps"
  awk '$1=="50%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p50"
  awk '$1=="99%" {print $2}' "$OUT/$name.$i.txt" | to_ms >> "$OUT/$name.p99"
}
run_wrk() {  # name, then wrk args
  local name=$1; shift
  for i in $(seq "$RUNS"); do wrk_once "$name" "$i" "$@"; done
}
wait_line() {  # file, text: until a helper printed it (bounded)
  for _ in $(seq 1200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; return 1
}

ACCEPT=(-s bench/gateway_accept.lua "http://127.0.0.1:$PORT")
# One run not counted: a broker just started compiles its produce path first
# (the first accept run measured 100 us of Kafka CPU per booking, later ones ~40).
echo "== warm-up: one accept run, not counted"
wrk_once warmup 1 "${ACCEPT[@]}"
echo "== accept: POST /api/v1/bookings, $CONNECTIONS connections, $RUNS x $DURATION"
run_wrk accept "${ACCEPT[@]}"
echo "== HTTP ceiling: nginx return 200 (one worker), and the gateway's GET /healthz"
run_wrk nginx "http://127.0.0.1:$NGINX_PORT/"
run_wrk healthz "http://127.0.0.1:$PORT/healthz"

echo "== broker ceiling: ProducerPerformance acks=all, 450-byte records"
for i in $(seq "$RUNS"); do
  java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.ProducerPerformance --topic $TOPIC \
    --num-records 300000 --record-size 450 --throughput -1 \
    --producer-props bootstrap.servers=127.0.0.1:9092 acks=all enable.idempotence=true linger.ms=2 \
    2>/dev/null | tail -n1 > "$OUT/broker.$i.txt"
  awk '{print $4}' "$OUT/broker.$i.txt" >> "$OUT/broker.rps"
done

echo "== $IDLE_CONNECTIONS idle keep-alive connections held while the load runs"
rss_before=$(rss_mib); threads_before=$(threads)
python3 bench/connections.py idle "$IDLE_CONNECTIONS" --port "$PORT" > "$OUT/idle.out" 2>&1 &
IDLE=$!
wait_line "$OUT/idle.out" ready
idle_opened=$(head -n1 "$OUT/idle.out")
run_wrk accept_idle "${ACCEPT[@]}"
rss_idle=$(rss_mib); threads_idle=$(threads)
kill -USR1 $IDLE
wait $IDLE
idle_after=$(grep "after the load" "$OUT/idle.out")

echo "== $SLOW_CLIENTS slow clients (a header byte a second) beside the load"
for i in $(seq "$RUNS"); do
  python3 bench/connections.py slow "$SLOW_CLIENTS" --port "$PORT" --interval 1 \
    --max-seconds $((HEADER_TIMEOUT_MS / 1000 * 3)) > "$OUT/slow.$i.out" 2>&1 &
  SLOW=$!
  wait_line "$OUT/slow.$i.out" ready
  wrk_once accept_slow "$i" "${ACCEPT[@]}"
  wait $SLOW
  grep "slow clients cut" "$OUT/slow.$i.out" | sed "s/^/  run $i: /"
done

row() {  # label, name
  printf '%-44s %12.0f %10s %10s\n' "$1" "$(median < "$OUT/$2.rps")" \
    "$(median < "$OUT/$2.p50")" "$(median < "$OUT/$2.p99")"
}
accept=$(median < "$OUT/accept.rps"); health=$(median < "$OUT/healthz.rps")
nginx=$(median < "$OUT/nginx.rps"); broker=$(median < "$OUT/broker.rps")
printf '\n%-44s %12s %10s %10s\n' "median of $RUNS runs" "req/s" "p50 ms" "p99 ms"
row "accepted bookings (202)" accept
row "accepted, beside $IDLE_CONNECTIONS idle connections" accept_idle
row "accepted, beside $SLOW_CLIENTS slow clients" accept_slow
row "gateway GET /healthz" healthz
row "HTTP ceiling: nginx return 200, 1 worker" nginx
printf '%-44s %12.0f\n' "broker ceiling (acks=all records/s)" "$broker"
awk -v a="$accept" -v h="$health" -v n="$nginx" -v b="$broker" 'BEGIN {
  printf "healthz / nginx:         %.2f\naccepted / nginx:        %.2f\naccepted / broker:       %.2f\n",
    h/n, a/n, a/b}'
for col in 1 2 3; do
  cpu[$col]=$(awk -v c=$col '{print $c}' "$OUT/accept.cpu" | median)
done
echo "CPU per accepted booking (median): gateway ${cpu[1]} us, Redis ${cpu[2]} us, Kafka ${cpu[3]} us"
echo "idle connections: $idle_opened; $idle_after"
echo "gateway RSS: ${rss_before} MiB before, ${rss_idle} MiB with the idle connections; threads: $threads_before -> $threads_idle"
