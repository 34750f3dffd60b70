#!/usr/bin/env bash
# Load run of `batch-odata serve` with wrk: imports a generated job of TASKS tasks (default
# 1,000,000) with --import-job, restarts the server so that it loads the job from its
# database, then runs wrk against List Tasks and Get Task Counts. Prints the start times,
# the server's resident memory and wrk's latency report for each endpoint. Not part of the
# test run; BENCHMARKS.md records its output.
#
# Settings: TASKS, DURATION (wrk's -d, default 30s), CONNECTIONS (default 16), THREADS
# (default 2). Installs wrk with apt-get when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

tasks="${TASKS:-1000000}"
duration="${DURATION:-30s}"
connections="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
version="api-version=2018-12-01.8.0"

if ! command -v wrk > /dev/null; then
    apt-get install -y wrk > /dev/null
fi
cargo build --release --quiet
binary="${CARGO_TARGET_DIR:-target}/release/batch-odata"
work="$(mktemp -d)"
server_pid=""

stop() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    server_pid=""
}
cleanup() {
    stop
    rm -rf "$work"
}
trap cleanup EXIT

# Starts the server with extra options, waits until it listens and prints the seconds
# that took. Sets `address`.
start() {
    local log="$work/server-$1.log"
    shift
    local began="$EPOCHREALTIME"
    "$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" --no-demo "$@" 2> "$log" &
    server_pid=$!
    address=""
    for _ in $(seq 1 12000); do
        address="$(sed -n 's/.*listening address=\([0-9.:]*\).*/\1/p' "$log" | head -n 1)"
        [[ -n "$address" ]] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.05
    done
    [[ -n "$address" ]] || { echo "error: the server did not start" >&2; exit 1; }
    echo "  listening after $(awk "BEGIN {printf \"%.2f\", $EPOCHREALTIME - $began}") s"
    grep -E 'loaded the database|imported a job' "$log" | sed 's/^.*INFO /  log: /'
}

rss() {
    echo "  server RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$server_pid/status")"
}

echo "generating $tasks tasks"
"$binary" gen --count "$tasks" --seed 1 > "$work/tasks.ndjson"
ls -l "$work/tasks.ndjson" | awk '{print "  NDJSON bytes: " $5}'

echo "first start: import"
start import --import-job "big=$work/tasks.ndjson"
rss
stop
du -b "$work/data" | awk '{print "  database bytes: " $1}'

echo "second start: load from the database"
start load
rss
base="http://$address"

run() {
    local name="$1" url="$2"
    echo
    echo "== $name: $url"
    wrk --latency -t "$threads" -c "$connections" -d "$duration" "$url"
}

filtered="$base/jobs/big/tasks?$version&\$filter=state%20eq%20'running'%20and%20executionInfo/startTime%20gt%20DateTime'2018-12-15T00:00:00Z'&\$select=id,state,executionInfo&maxresults=100"
run "List Tasks, filtered first page with \$select" "$filtered"

next="$(python3 -c '
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=60) as response:
    print(json.load(response)["odata.nextLink"])
' "$base/jobs/big/tasks?$version&\$select=id,state&maxresults=1000")"
run "List Tasks, a later page of an unfiltered walk (\$skiptoken)" "$next"

run "Get Task Counts" "$base/jobs/big/taskcounts?$version"
rss

echo
echo "== a whole paged walk: every task id, 1000 per page"
python3 - "$base/jobs/big/tasks?$version&\$select=id&maxresults=1000" <<'PYTHON'
import json
import sys
import time
import urllib.request

url, pages, ids = sys.argv[1], 0, 0
began = time.monotonic()
while url and pages < 10_000:
    with urllib.request.urlopen(url, timeout=60) as response:
        page = json.load(response)
    pages += 1
    ids += len(page["value"])
    url = page.get("odata.nextLink")
elapsed = time.monotonic() - began
print(f"  {ids} ids in {pages} pages, {elapsed:.1f} s, {pages / elapsed:.0f} pages/s")
PYTHON
