# Shared by the scripts: where things live, and small helpers.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Machine-wide cache: a fresh clone on the same machine does not download again.
TOOLS=${WANDERLUXE_TOOLS:-$HOME/.cache/wanderluxe}
KAFKA_VERSION=3.9.1
FERRETDB_VERSION=v1.24.2
KAFKA_LIBS=$TOOLS/kafka-$KAFKA_VERSION/libs
FERRETDB_BIN=$TOOLS/bin/ferretdb-$FERRETDB_VERSION
PG_BINDIR=${WL_PG_BINDIR:-/usr/lib/postgresql/15/bin}
STACK_DIR=${WANDERLUXE_STACK_DIR:-$REPO_ROOT/.stack}

export PATH=$PATH:/usr/local/go/bin

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
