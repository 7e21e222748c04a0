#!/usr/bin/env bash
# One machine's stack against the cluster (tests/drill_cluster/scale_drill.cc,
# suite bench.cluster_scale): the same herd over 200 properties through one
# gateway and one processor on a private single stack, then through two
# gateways and three processors on a private three-broker Kafka and Redis
# Cluster; both checked as the cluster drills check (every answer against the
# topic and the ledger, verify), then accepted/s and sagas finished/s of each
# and their ratio. Needs a build; starts and stops its own servers on
# loopback, beside the local stack.
#
#   bench/cluster_scale.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ -x build/wanderluxe_tests ] || { echo "build first: cmake --build build" >&2; exit 1; }
exec build/wanderluxe_tests --test-suite=bench.cluster_scale --duration=true
