#!/usr/bin/env bash
# What the node spends per request: its user and system CPU time (from /proc/<pid>/stat) over the
# requests wrk completed, per route, beside the bare poem server of ../shared/perf when it is built.
# Throughput on a shared 2-core machine swings from run to run; CPU per request moves far less, so
# this is the figure to compare two builds by (BIN=... for another binary, LABEL=... to name it).
#
#   bash bench/cpu_per_request.sh          (appends a run to bench/results/cpu_per_request.json)
#
# Needs wrk, jq and PostgreSQL on 127.0.0.1:5432 (user postgres, trust) for a scratch database.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command="bash bench/cpu_per_request.sh"
bin=${BIN:-target/release/sports-nutrition}
[ -n "${BIN:-}" ] || cargo build --release --locked --quiet
label=${LABEL:-$(git rev-parse --short HEAD)}
duration=${D:-8s}
ceiling=/tmp/perf-ceiling-target/release/ceiling
port=18080 cport=18079
db=cpu_$$
work=$(mktemp -d)
chmod 0755 "$work"
createdb -h 127.0.0.1 -U postgres "$db"
app= pb=
trap '[ -n "$app" ] && kill $app 2>/dev/null; [ -n "$pb" ] && kill $pb 2>/dev/null; wait 2>/dev/null;
      dropdb -h 127.0.0.1 -U postgres --force "$db"; rm -rf "$work"' EXIT

SN_SERVER__PORT=$port SN_SERVER__HOST=127.0.0.1 \
    SN_DATABASE__URL=postgres://postgres@127.0.0.1:5432/$db SN_STORAGE__DATA_DIR=$work \
    SN_AUTH__JWT_SECRET=$(openssl rand -hex 32) SN_BACKUP__ENABLED=false \
    SN_RATE_LIMIT__PUBLIC_REQUESTS=1000000000 SN_RATE_LIMIT__AUTH_ATTEMPTS_PER_IP=1000000000 \
    SN_RATE_LIMIT__LOGIN_ATTEMPTS_PER_ACCOUNT=1000000000 \
    SN_RATE_LIMIT__ACCOUNT_REQUESTS=1000000000 SN_RATE_LIMIT__EXPENSIVE_REQUESTS=1000000000 \
    "$bin" serve >"$work/app.log" 2>&1 &
app=$!
if [ -x "$ceiling" ]; then
    CEILING_ADDR=127.0.0.1:$cport "$ceiling" 2>/dev/null &
    pb=$!
fi
b=http://127.0.0.1:$port
until curl -fs -o /dev/null "$b/ready"; do sleep 0.25; done

j() { curl -fsS -H 'content-type: application/json' "$@"; }
account='{"email":"cpu@example.com","password":"Correct-Horse-Battery-9"}'
j -X POST "$b/api/v1/auth/register" -d "$account" >/dev/null
token=$(j -X POST "$b/api/v1/auth/login" -d "$account" | jq -r .token)
j -X PUT "$b/api/v1/health-profile" -H "authorization: Bearer $token" -o /dev/null -d \
    '{"birth_date":"1994-05-01","sex":"male","weight_kg":80,"height_cm":180,"activity_level":"active","goal":"maintain","sport":"endurance","allergies":[],"conditions":[],"medications":[]}'
items=$(curl -fsS "$b/api/v1/products?per_page=10" | jq -c '[.items[].id | {product_id: ., servings_per_day: 1}]')
post() { # the wrk script of an athlete's POST with body $1
    printf '%s\n' 'wrk.method="POST"; wrk.headers["Content-Type"]="application/json"' \
        "wrk.headers[\"Authorization\"]=\"Bearer $token\"" "wrk.body='$1'"
}
post "{\"date\":\"$(date -d tomorrow +%F)\"}" >"$work/plan.lua"
post "{\"items\":$items,\"days\":30}" >"$work/shop.lua"

runs='{}'
measure() { # name pid connections url [wrk args]
    local name=$1 pid=$2 c=$3 url=$4 t=2 u0 s0 u1 s1 out
    shift 4
    [ "$c" -lt 2 ] && t=1
    wrk -t$t -c"$c" -d2s "$@" "$url" >/dev/null
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    out=$(wrk -t$t -c"$c" -d"$duration" "$@" "$url")
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
    runs=$(jq -c --arg name "$name" --arg out "$out" --argjson du $((u1 - u0)) --argjson ds $((s1 - s0)) \
        --argjson hz "$(getconf CLK_TCK)" --argjson c "$c" '
        ($out | capture("(?<n>[0-9]+) requests in").n | tonumber) as $n
        | ($out | capture("Requests/sec:\\s+(?<r>[0-9.]+)").r | tonumber) as $r
        | .[$name] = {connections: $c, requests_per_s: $r,
            user_us_per_request: (($du / $hz * 1e6 / $n) * 10 | round / 10),
            system_us_per_request: (($ds / $hz * 1e6 / $n) * 10 | round / 10)}' <<<"$runs")
    jq -r --arg name "$name" '.[$name] | "\($name): \(.requests_per_s) req/s, \(.user_us_per_request) us user + \(.system_us_per_request) us system per request"' <<<"$runs"
}
if [ -n "$pb" ]; then
    measure "ceiling /plain" "$pb" 50 "http://127.0.0.1:$cport/plain"
    measure "ceiling /json (20 items)" "$pb" 50 "http://127.0.0.1:$cport/json"
fi
measure "/health" "$app" 50 "$b/health"
measure "/api/v1/products?per_page=20 (cached)" "$app" 50 "$b/api/v1/products?per_page=20"
measure "/api/v1/profile (JWT)" "$app" 50 "$b/api/v1/profile" -H "authorization: Bearer $token"
measure "POST meal-plans/daily (c8)" "$app" 8 "$b/api/v1/meal-plans/daily" -s "$work/plan.lua"
measure "POST shopping-plan, 10 products (c8)" "$app" 8 "$b/api/v1/shopping-plan" -s "$work/shop.lua"

results=bench/results/cpu_per_request.json
[ -f "$results" ] || jq -n --arg command "$command" \
    '{command: $command, machine: "2 vCPU, wrk -t2 sharing the cores", history: []}' >"$results"
jq --arg build "$label" --arg date "$(date -u +%FT%TZ)" --argjson runs "$runs" \
    '.history += [{build: $build, date: $date, runs: $runs}]' "$results" >"$results.new"
mv "$results.new" "$results"
echo "appended to $results"
