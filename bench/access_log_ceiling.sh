#!/usr/bin/env bash
# What the access log alone costs the bare poem server of ../shared/perf: that server against the same
# server with the appliance's access log (bench/access_log_ceiling), alternately under wrk on /plain.
# The second figure over the first bounds what any endpoint with that log can reach of the ceiling.
#
#   bash bench/access_log_ceiling.sh        (appends a run to bench/results/access_log_ceiling.json)
#
# Needs wrk and jq.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command="bash bench/access_log_ceiling.sh"
duration=${D:-8s}
bare_target=/tmp/perf-ceiling-target logged_target=/tmp/access-log-ceiling-target
(cd ../shared/perf/ceiling && CARGO_TARGET_DIR=$bare_target cargo build --release --locked --quiet)
(cd bench/access_log_ceiling && CARGO_TARGET_DIR=$logged_target cargo build --release --locked --quiet)
work=$(mktemp -d)
bare= logged=
trap '[ -n "$bare" ] && kill $bare 2>/dev/null; [ -n "$logged" ] && kill $logged 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
CEILING_ADDR=127.0.0.1:18071 $bare_target/release/ceiling 2>/dev/null &
bare=$!
# Its log lines go to a file, as the appliance's do in ../shared/perf/side_by_side.sh.
CEILING_ADDR=127.0.0.1:18072 $logged_target/release/access-log-ceiling 2>"$work/access.log" &
logged=$!
sleep 1
rate() { wrk -t2 -c50 -d"$duration" "http://127.0.0.1:$1/plain" | awk '/Requests\/sec/ {print $2}'; }
runs='[]'
for _ in 1 2 3; do
    b=$(rate 18071) l=$(rate 18072)
    share=$(echo "scale=3; $l / $b" | bc)
    echo "bare $b req/s, with the access log $l req/s: $share of the bare server"
    runs=$(jq -c --argjson b "$b" --argjson l "$l" --argjson s "$share" \
        '. + [{bare_requests_per_s: $b, logged_requests_per_s: $l, share: $s}]' <<<"$runs")
done
lines=$(wc -l <"$work/access.log")
out=bench/results/access_log_ceiling.json
[ -f "$out" ] || jq -n --arg c "$command" '{command: $c, machine: "2 vCPU, wrk -t2 -c50 sharing the cores", history: []}' >"$out"
jq --arg commit "$(git rev-parse --short HEAD)" --arg date "$(date -u +%FT%TZ)" --argjson runs "$runs" \
    --argjson lines "$lines" \
    '.history += [{commit: $commit, date: $date, route: "/plain", runs: $runs, log_lines_written: $lines}]' \
    "$out" >"$out.new" && mv "$out.new" "$out"
echo "appended to $out"
