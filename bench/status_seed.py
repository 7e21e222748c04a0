#!/usr/bin/env python3
"""Seeds status views or accepted records for bench/status.sh, as the
processor and the gateway write them, in Redis's own protocol for
`redis-cli --pipe` (docs/contract.md "Redis": `status-view:<b>`, `accepted:<b>`).

  status_seed.py view PREFIX N STATUS TERMINAL(0|1) [TTL_S]
  status_seed.py accepted PREFIX N [TTL_S]

Booking ids are PREFIX-1 .. PREFIX-N; the RESP commands go to stdout.
"""
import json
import sys

SEP = "\x1e"


def resp(*args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        b = a.encode()
        out.append(f"${len(b)}\r\n")
        out.append(a)
        out.append("\r\n")
    return "".join(out)


def view_body(booking_id, status, version):
    return json.dumps({
        "bookingId": booking_id, "propertyId": "prop-status-bench", "status": status,
        "payment": {"amount": "50.00", "amountMinor": 5000, "currency": "USD",
                    "status": "CAPTURED" if status == "CONFIRMED" else "PENDING",
                    "transactionId": "tx-" + booking_id},
        "userId": "user-1", "auditLog": [{"action": status, "timestamp": "2026-12-06T00:00:00.000Z",
                                          "detail": "bench"}],
        "createdAt": "2026-12-06T00:00:00.000Z", "updatedAt": "2026-12-06T00:00:00.000Z",
        "version": version}, separators=(",", ":"))


def accepted_record(booking_id):
    return json.dumps({
        "eventId": "e-" + booking_id, "eventType": "BOOKING_INITIATED", "schemaVersion": 1,
        "timestamp": "2026-12-06T00:00:00.000Z",
        "payload": {"bookingId": booking_id, "propertyId": "prop-status-bench",
                    "userId": "user-1", "amount": 50.00, "amountMinor": 5000,
                    "currency": "USD"}}, separators=(",", ":"))


def main():
    kind, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out = sys.stdout
    if kind == "view":
        status, terminal = sys.argv[4], sys.argv[5]
        ttl = sys.argv[6] if len(sys.argv) > 6 else "3600"
        version = 5 if terminal == "1" else 2
        for i in range(1, n + 1):
            b = f"{prefix}-{i}"
            value = SEP.join([str(version), terminal, "", view_body(b, status, version)])
            out.write(resp("SET", "status-view:" + b, value, "EX", ttl))
    elif kind == "accepted":
        ttl = sys.argv[4] if len(sys.argv) > 4 else "3600"
        for i in range(1, n + 1):
            b = f"{prefix}-{i}"
            out.write(resp("SET", "accepted:" + b, accepted_record(b), "EX", ttl))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
