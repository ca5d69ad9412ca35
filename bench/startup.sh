#!/usr/bin/env bash
# Start-up time of the release binary until /ready answers 200, on the managed (embedded) cluster:
# first start (initdb + migrations + seeds) and second start (reuse), plus an external database.
# Usage: bash bench/startup.sh   (writes bench/results/startup.json)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
bin=target/release/sports-nutrition
work=$(mktemp -d); chmod 0755 "$work"
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=18089

pid=
elapsed=
start_until_ready() { # sets $elapsed: milliseconds from exec to the first 200 from /ready
    local t0 t1
    t0=$(date +%s%N)
    "$bin" serve >"$work/log" 2>&1 &
    pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/ready"; do
        kill -0 "$pid" 2>/dev/null || { cat "$work/log"; exit 1; }
        sleep 0.01
    done
    t1=$(date +%s%N)
    elapsed=$(((t1 - t0) / 1000000))
}
stop() { kill -TERM "$pid"; wait "$pid" || true; }

export SN_SERVER__PORT=$port SN_STORAGE__DATA_DIR="$work/data" SN_LOG__LEVEL=warn
start_until_ready; first=$elapsed; stop
start_until_ready; second=$elapsed; stop

db="sn_bench_startup_$$"
psql -q "${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "CREATE DATABASE $db"
export SN_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db"
start_until_ready; external_first=$elapsed; stop
start_until_ready; external_second=$elapsed; stop
psql -q "${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -c "DROP DATABASE $db"

size=$(stat -c %s "$bin")
cat > bench/results/startup.json <<JSON
{
  "command": "bash bench/startup.sh",
  "date": "$(date -u +%FT%TZ)",
  "machine": "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB",
  "binary_bytes": $size,
  "managed_first_start_ms": $first,
  "managed_second_start_ms": $second,
  "external_first_start_ms": $external_first,
  "external_second_start_ms": $external_second
}
JSON
cat bench/results/startup.json
