#!/usr/bin/env python3
"""Many connections against one HTTP server, for bench/gateway.sh.

idle N: opens N keep-alive connections, each served one GET /healthz; prints
  "ready"; holds them idle until SIGUSR1; then asks again on every one and
  prints how many were still served (a connection the server closed counts as
  not served).
slow N: opens N connections that send a request's headers one byte per
  INTERVAL seconds, as a slow client does; waits until the server cut each (or
  MAX_SECONDS passed) and prints how many were cut and after how long.
"""
import argparse
import asyncio
import signal
import statistics
import sys
import time

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n"
SLOW_REQUEST = (b"POST /api/v1/bookings HTTP/1.1\r\nHost: bench\r\n"
                b"Content-Type: application/json\r\nIdempotency-Key: slow\r\n"
                b"X-Padding: " + b"p" * 200 + b"\r\n\r\n")
CONNECT_BATCH = 500  # below the server's accept backlog (4096)


async def read_response(reader):
    """Reads one response with a Content-Length body; returns its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    await reader.readexactly(length)
    return status


async def ask(conn):
    reader, writer = conn
    try:
        writer.write(HEALTH)
        await writer.drain()
        return await asyncio.wait_for(read_response(reader), 10) == 200
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
        return False


async def open_all(host, port, n):
    conns = []
    for start in range(0, n, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, n - start)
        conns += await asyncio.gather(
            *[asyncio.open_connection(host, port) for _ in range(batch)])
    return conns


async def idle(args):
    conns = await open_all(args.host, args.port, args.n)
    served = sum(await asyncio.gather(*[ask(c) for c in conns]))
    print(f"opened {len(conns)}, served {served}", flush=True)
    print("ready", flush=True)
    released = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, released.set)
    await released.wait()
    served_again = sum(await asyncio.gather(*[ask(c) for c in conns]))
    print(f"after the load: {served_again} of {len(conns)} idle connections served again",
          flush=True)


async def slow_client(host, port, interval, max_seconds):
    """Seconds from the first byte until the server closed, or None if it never did."""
    reader, writer = await asyncio.open_connection(host, port)
    start = time.monotonic()
    closed = asyncio.ensure_future(reader.read())  # EOF (or an answer, then EOF)
    try:
        for i in range(len(SLOW_REQUEST)):
            if closed.done() or time.monotonic() - start > max_seconds:
                break
            writer.write(SLOW_REQUEST[i:i + 1])
            await asyncio.wait([closed], timeout=interval)
        await asyncio.wait_for(closed, max(0.0, max_seconds - (time.monotonic() - start)))
        return time.monotonic() - start
    except (OSError, asyncio.TimeoutError):
        return time.monotonic() - start if closed.done() else None
    finally:
        writer.close()


async def slow(args):
    clients = []
    for start in range(0, args.n, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, args.n - start)
        clients += [asyncio.ensure_future(
            slow_client(args.host, args.port, args.interval, args.max_seconds))
            for _ in range(batch)]
        await asyncio.sleep(0)  # let this batch connect before the next
    print("ready", flush=True)
    cut = [t for t in await asyncio.gather(*clients) if t is not None]
    if cut:
        print(f"slow clients cut: {len(cut)} of {args.n}, after median "
              f"{statistics.median(cut):.1f} s (max {max(cut):.1f} s)", flush=True)
    else:
        print(f"slow clients cut: 0 of {args.n}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["idle", "slow"])
    parser.add_argument("n", type=int)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(idle(args) if args.mode == "idle" else slow(args))


if __name__ == "__main__":
    sys.exit(main())
