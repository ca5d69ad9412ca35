#!/usr/bin/env bash
# Clients generated from the served OpenAPI document, as API consumers make them: a Python client
# (openapi-python-client, pinned in requirements.txt, in the virtual environment .venv) and
# TypeScript types (openapi-typescript, package.json) that flow.ts must compile against under
# `tsc --strict`. Any generator warning fails the run, except that `text/csv` (price lists) is a
# content type openapi-python-client does not support. Then athlete_flow.py drives an athlete
# through the generated Python client. .ci/test installs the tools; tests/schemathesis/run.sh runs
# this against the node it started.
#
#   tests/clients/run.sh BASE_URL
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
base=${1:?usage: tests/clients/run.sh BASE_URL}
[ -x .venv/bin/openapi-python-client ] && [ -d node_modules/openapi-typescript ] ||
    { echo "tests/clients: the generators are not installed (bash .ci/test installs them)" >&2; exit 2; }
work=$(mktemp -d /tmp/sn-clients.XXXXXX)
trap 'rm -rf "$work"' EXIT
curl -fsS "$base/openapi.json" -o "$work/openapi.json"

echo "== a Python client (openapi-python-client)"
.venv/bin/openapi-python-client generate --path "$work/openapi.json" --config generator-config.yaml \
    --meta none --output-path "$work/python/sports_nutrition_client" >"$work/python.log" 2>&1 ||
    { cat "$work/python.log" >&2; exit 1; }
# A warning is a heading ("WARNING parsing …", "Unable to process schema …"), its reasons, then the
# offending piece of the document as JSON.
python3 - "$work/python.log" <<'PY'
import sys
lines = [line.strip() for line in open(sys.argv[1]).read().splitlines()]
problems = []
for i, line in enumerate(lines):
    if not line.startswith(("WARNING", "Unable to")):
        continue
    reasons = []
    for reason in lines[i + 1:]:
        if reason.startswith(("{", "[", "WARNING", "Unable to", "If you believe")):
            break
        if reason:
            reasons.append(reason)
    if line.startswith("WARNING parsing") and reasons == ["Unsupported content type text/csv"]:
        continue
    problems.append(f"{line} {' '.join(reasons)}")
if problems:
    sys.exit("openapi-python-client warned:\n" + "\n".join(problems))
PY

echo "== TypeScript types (openapi-typescript), compiled with tsc --strict"
npx --no-install openapi-typescript "$work/openapi.json" -o api.d.ts >"$work/ts.log" 2>&1 ||
    { cat "$work/ts.log" >&2; exit 1; }
if grep -v -e 'openapi-typescript [0-9]' -e '→ api.d.ts' "$work/ts.log" | grep -q .; then
    echo "openapi-typescript warned:" >&2; cat "$work/ts.log" >&2; exit 1
fi
npx --no-install tsc -p .

echo "== an athlete's flow through the Python client"
.venv/bin/python athlete_flow.py "$base" "$work/python"
