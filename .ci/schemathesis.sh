#!/usr/bin/env bash
# Runs schemathesis against `batch-odata serve` with the OpenAPI description
# openapi/batch-odata.json: generated valid and invalid requests for every operation,
# checking that no response is a 5xx and that every response matches the description.
# Bounded by SCHEMATHESIS_MAX_EXAMPLES test cases per operation (default 40) and a hard
# limit of SCHEMATHESIS_TIMEOUT seconds (default 420). Needs python3 with venv and access
# to PyPI; the virtual environment is kept in SCHEMATHESIS_VENV_DIR between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/lib-serve.sh

version="4.32.5"
venv="${SCHEMATHESIS_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batch-odata-schemathesis}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    timeout 600 "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

start_server "$(mktemp -d)"

# The description's path parameter examples name job-1 and task-1, so that generated
# requests also reach existing resources and not only 404s.
"$venv/bin/python" - "http://$address" <<'PYTHON'
import json
import sys
import urllib.request

base = sys.argv[1]
for path, body in [
    ("/jobs", {"id": "job-1", "poolInfo": {"poolId": "pool"}}),
    ("/jobs/job-1/tasks", {"id": "task-1", "commandLine": "echo"}),
]:
    request = urllib.request.Request(
        f"{base}{path}?api-version=2018-12-01.8.0",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, (path, response.status)
PYTHON

report="$(mktemp -d)"
status=0
timeout "${SCHEMATHESIS_TIMEOUT:-420}" "$venv/bin/schemathesis" run openapi/batch-odata.json \
    --url "http://$address" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
    --seed 1 \
    --workers 1 \
    --request-timeout 30 \
    --report-dir "$report" || status=$?
if [[ "$status" -ne 0 ]]; then
    echo "error: schemathesis failed with status $status; server log:" >&2
    server_log_tail 50
fi
rm -rf "$report"
exit "$status"
