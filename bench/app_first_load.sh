#!/usr/bin/env bash
# The athletes' app's first load: bytes transferred (compressed, headers included) and the time until
# a signed-in athlete's day (targets and the day's meals) is on screen, in Debian's Chromium at a
# phone's viewport with an empty cache and no service worker; then the same with both warm.
# Release binary on a scratch database with the seed data; an athlete with a profile and today's
# plan. Needs Chromium and tests/browser's npm packages (bash .ci/test installs both).
# Usage: bash bench/app_first_load.sh   (writes bench/results/app_first_load.json)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --quiet
bin=target/release/sports-nutrition
work=$(mktemp -d)
admin_url=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db="sn_bench_app_$$"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null || true; rm -rf "$work"; psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db" || true' EXIT
port=18091
psql -q "$admin_url" -c "CREATE DATABASE $db"
SN_CONFIG=/dev/null SN_SERVER__PORT=$port SN_STORAGE__DATA_DIR="$work/data" SN_LOG__LEVEL=warn \
    SN_DATABASE__URL="postgres://postgres@127.0.0.1:5432/$db" SN_SECURITY__MODE=development \
    SN_AUTH__JWT_SECRET="$(head -c 48 /dev/urandom | base64)" SN_RATE_LIMIT__ENABLED=false \
    "$bin" serve >"$work/log" 2>&1 &
pid=$!
until curl -fs -o /dev/null "http://127.0.0.1:$port/ready"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/log"; exit 1; }
    sleep 0.05
done
BASE_URL="http://127.0.0.1:$port" OUT=bench/results/app_first_load.json node bench/app_first_load.mjs
cat bench/results/app_first_load.json
