#!/usr/bin/env python3
"""Guests waiting for their outcome, for bench/status.sh (issue 31).

Opens WAITERS connections to the gateway (from CLIENTS processes), each asking GET
/api/v1/bookings/PREFIX-i with `Prefer: wait=60` for a booking whose status
view is RESERVED (seeded by status.sh); waits until the gateway says all of
them wait (gateway_status_waiters on /metrics); starts a herd of POSTs (wrk,
bench/gateway_accept.lua, sized to about HERD requests); then does what the
processor does for each booking: writes its CONFIRMED view (redis-cli
--pipe), then publishes its outcome event keyed by bookingId (kcat), all at
once or --outcome-rate a second (a processor's pace). Each
read's answer is timed on arrival; the outcome's time is its Kafka message
timestamp (CreateTime, set by the producer), read back from the topic.
Prints the latency from outcome to answer (p50, p99, max), how many reads
were answered with CONFIRMED and Preference-Applied, and the herd's count.
"""
import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

CONNECT_BATCH = 500  # below the server's accept backlog (4096)
SEP = "\x1e"
OUTCOME_TICK_S = 0.01


class WaitingRead(asyncio.Protocol):
    """One GET with Prefer: wait. Notes when its whole answer arrived and
    nothing more (parsing waits for the end): 10,000 answers come within
    milliseconds, and this client's own work must not be what is timed."""

    def __init__(self, booking_id, tally):
        self.booking_id = booking_id
        self.buf = b""
        self.tally = tally
        self.at = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(f"GET /api/v1/bookings/{self.booking_id} HTTP/1.1\r\nHost: bench\r\n"
                        f"Prefer: wait=60\r\n\r\n".encode())

    def data_received(self, data):
        now = time.time()
        self.buf += data
        if self.at is None and self.complete():
            self.at = now
            self.tally.answered()
            # The connection stays open, as a guest's keep-alive one would:
            # closing 10,000 sockets at once is work of its own for both ends.

    def complete(self):
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        at = self.buf.find(b"Content-Length: ", 0, head_end)
        if at < 0:
            return True
        length = int(self.buf[at + 16:self.buf.find(b"\r\n", at)])
        return len(self.buf) >= head_end + 4 + length

    def connection_lost(self, exc):
        if self.at is None:
            self.at = time.time()
            self.tally.answered()

    def result(self):
        """(answered at, HTTP status, booking status, Preference-Applied)."""
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0:
            return (self.at, "closed", "", "")
        head = self.buf[:head_end].decode("latin-1")
        body = self.buf[head_end + 4:]
        applied = re.search(r"(?i)preference-applied:\s*(\S+)", head)
        status = json.loads(body).get("status", "") if body else ""
        return (self.at, head.split(" ")[1], status, applied.group(1) if applied else "")


class Tally:
    def __init__(self, n, loop):
        self.left = n
        self.all = loop.create_future()

    def answered(self):
        self.left -= 1
        if self.left == 0:
            self.all.set_result(None)


def metric(port, series):
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    m = re.search(r"^" + re.escape(series) + r" (\S+)$", body, re.M)
    return float(m.group(1)) if m else -1


def buckets(port, series):
    """A histogram's cumulative buckets on /metrics, as {upper bound: count}."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    return {float(le): float(n) for le, n in re.findall(
        r"^" + re.escape(series) + r'_bucket\{le="([^"]+)"\} (\S+)$', body, re.M)}


def bucket_pct(before, after, p):
    """The bucket bound under which p % of the observations between two reads
    of a histogram fall (Prometheus's buckets: an upper bound, not a value)."""
    total = after.get(float("inf"), 0) - before.get(float("inf"), 0)
    for le in sorted(after):
        if total and after[le] - before.get(le, 0) >= total * p / 100:
            return le * 1000
    return float("nan")


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def publish_outcomes(a, lines):
    """Publishes the outcome events with kcat: all at once, or --outcome-rate
    a second (a tick's share written every OUTCOME_TICK_S), as a processor
    makes them; each event's timestamp is its produce call, not this pacing."""
    kcat = subprocess.Popen(["kcat", "-P", "-b", a.brokers, "-t", a.topic, "-K", "\t"],
                            stdin=subprocess.PIPE, text=True)
    if a.outcome_rate <= 0:
        kcat.stdin.write("".join(lines))
    else:
        per_tick = max(1, round(a.outcome_rate * OUTCOME_TICK_S))
        start = time.time()
        for n, first in enumerate(range(0, len(lines), per_tick)):
            time.sleep(max(0.0, start + n * OUTCOME_TICK_S - time.time()))
            kcat.stdin.write("".join(lines[first:first + per_tick]))
            kcat.stdin.flush()
    kcat.stdin.close()
    if kcat.wait(timeout=60) != 0:
        sys.exit("kcat failed to publish the outcome events")


async def hold_reads(a):
    """--slice I/K: this process's share of the reads; prints "ready" once
    every one is sent, then one JSON line a read once all are answered."""
    loop = asyncio.get_running_loop()
    index, count = (int(x) for x in a.slice.split("/"))
    ids = [f"{a.prefix}-{i}" for i in range(1, a.waiters + 1) if i % count == index]
    tally = Tally(len(ids), loop)
    reads = {b: WaitingRead(b, tally) for b in ids}
    for start in range(0, len(ids), CONNECT_BATCH):
        await asyncio.gather(*(loop.create_connection(
            lambda b=b: reads[b], "127.0.0.1", a.port)
            for b in ids[start:start + CONNECT_BATCH]))
    print("ready", flush=True)
    await asyncio.wait_for(tally.all, timeout=120)
    for b in ids:
        print(json.dumps([b, *reads[b].result()]))
    for read in reads.values():
        read.transport.close()


def main(a):
    ids = [f"{a.prefix}-{i}" for i in range(1, a.waiters + 1)]
    # The reads are held by CLIENTS processes, so that taking 10,000 answers
    # in one Python loop is not what is timed.
    clients = [subprocess.Popen([sys.executable, __file__, "--port", str(a.port), "--prefix",
                                 a.prefix, "--waiters", str(a.waiters), "--topic", a.topic,
                                 "--slice", f"{i}/{a.clients}"], stdout=subprocess.PIPE,
                                text=True) for i in range(a.clients)]
    gateway_series = ("gateway_outcome_lag_seconds", "gateway_status_wake_seconds")
    before = {s: buckets(a.port, s) for s in gateway_series}
    for c in clients:
        if c.stdout.readline().strip() != "ready":
            sys.exit("a client process failed")
    deadline = time.time() + 60
    while metric(a.port, "gateway_status_waiters") < a.waiters:
        if time.time() > deadline:
            sys.exit(f"only {metric(a.port, 'gateway_status_waiters')} of {a.waiters} reads wait")
        time.sleep(0.2)
    print(f"{a.waiters} reads waiting ({a.clients} client processes)")

    herd = None
    if a.herd > 0:
        # wrk has no request count: a duration at an accept rate of this
        # machine (--herd-rate), and the count it made is printed.
        seconds = max(1, round(a.herd / a.herd_rate))
        env = dict(os.environ, BENCH_NONCE=f"{a.prefix}-herd")
        herd = subprocess.Popen(
            ["wrk", "-t2", "-c256", f"-d{seconds}s", "-s", "bench/gateway_accept.lua",
             f"http://127.0.0.1:{a.port}/"], stdout=subprocess.PIPE, text=True, env=env)
        time.sleep(1)  # the outcomes come during the herd, not before it

    # The processor's order for each booking: its view, then its outcome.
    views = "".join(
        f"*5\r\n$3\r\nSET\r\n${len('status-view:' + b)}\r\nstatus-view:{b}\r\n"
        + (lambda v: f"${len(v.encode())}\r\n{v}\r\n")(
            SEP.join(["5", "1", "", json.dumps({"bookingId": b, "status": "CONFIRMED",
                                                 "version": 5})]))
        + "$2\r\nEX\r\n$4\r\n3600\r\n" for b in ids)
    subprocess.run(["redis-cli", "-n", str(a.redis_db), "--pipe"], input=views, text=True,
                   check=True, stdout=subprocess.DEVNULL)
    outcomes = [
        b + "\t" + json.dumps({"eventId": "e-" + b, "bookingId": b, "status": "CONFIRMED"}) + "\n"
        for b in ids]
    published = time.time()
    publish_outcomes(a, outcomes)
    print(f"{a.waiters} outcome events published in {time.time() - published:.2f} s"
          f" ({'at once' if a.outcome_rate <= 0 else f'at {a.outcome_rate:.0f}/s'})")

    results = {}
    for c in clients:
        out, _ = c.communicate(timeout=150)
        for line in out.splitlines():
            b, at, code, status, pref = json.loads(line)
            results[b] = (at, code, status, pref)
    herd_line = ""
    if herd is not None:
        out, _ = herd.communicate()
        with open(os.path.join(a.out, "herd.txt"), "w") as f:
            f.write(out)
        m = re.search(r"(\d+) requests in ([\d.]+)s", out)
        rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
        herd_line = (f"herd: {m.group(1)} POSTs in {m.group(2)} s ({float(rps.group(1)):.0f}/s)"
                     if m and rps else "herd: no wrk summary")

    stamps = {}
    read = subprocess.run(["kcat", "-C", "-b", a.brokers, "-t", a.topic, "-e", "-q",
                           "-f", "%k\t%T\n"], capture_output=True, text=True, check=True)
    for line in read.stdout.splitlines():
        key, _, ts = line.partition("\t")
        stamps[key] = int(ts) / 1000.0
    lat = []
    confirmed = applied = 0
    for b in ids:
        at, code, status, pref = results[b]
        confirmed += code == "200" and status == "CONFIRMED"
        applied += pref.startswith("wait=")  # wait=30: gateway.max_wait_s caps the 60
        if b in stamps:
            lat.append((at - stamps[b]) * 1000)
    print(f"answered: {len(results)} of {len(ids)}; CONFIRMED {confirmed}; "
          f"with Preference-Applied {applied}")
    if lat:
        # The topic holds earlier runs' events too: this run's only.
        ours = [stamps[b] for b in ids if b in stamps]
        first = min(ours)
        answered = [results[b][0] for b in ids]
        print(f"outcome events published over {(max(ours) - first) * 1000:.0f} ms; "
              f"answers from {(min(answered) - first) * 1000:.0f} to "
              f"{(max(answered) - first) * 1000:.0f} ms after the first outcome")
        print(f"outcome event (Kafka timestamp) -> answer, ms: min {min(lat):.1f}  "
              f"p50 {pct(lat, 50):.1f}  p99 {pct(lat, 99):.1f}  max {max(lat):.1f}  "
              f"within 100 ms: {sum(x <= 100 for x in lat)} of {len(lat)}")
        # Where the time goes, as the gateway saw it: the event's way to it
        # (producer, broker, fetch), then its wake to the answer.
        after = {s: buckets(a.port, s) for s in gateway_series}
        print("gateway's view, ms (bucket bounds): " + "; ".join(
            f"{s} p50 <= {bucket_pct(before[s], after[s], 50):g}, "
            f"p99 <= {bucket_pct(before[s], after[s], 99):g}" for s in gateway_series))
    if herd_line:
        print(herd_line)
    print(f"gateway: woken {metric(a.port, 'gateway_status_waiters_woken'):.0f}, timed out "
          f"{metric(a.port, 'gateway_status_waiters_timed_out'):.0f}, refused "
          f"{metric(a.port, 'gateway_status_waiters_refused'):.0f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--waiters", type=int, default=10000)
    p.add_argument("--topic", required=True)
    p.add_argument("--brokers", default="127.0.0.1:9092")
    p.add_argument("--redis-db", type=int, default=12)
    p.add_argument("--herd", type=int, default=100000)
    p.add_argument("--herd-rate", type=float, default=12000)
    p.add_argument("--outcome-rate", type=float, default=0,
                   help="outcome events a second; 0: all at once")
    p.add_argument("--out", default="/tmp")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--slice", help="internal: hold this share of the reads (I/K)")
    args = p.parse_args()
    if args.slice:
        asyncio.run(hold_reads(args))
    else:
        main(args)
