# Shared by the CI scripts that talk to `batch-odata serve` over HTTP: builds the binary,
# starts it on a loopback port the system picks, and stops it when the script exits.
# Source it after `set -euo pipefail` and `cd` to the repository root; then call
# `start_server WORK_DIR [SERVE_OPTIONS...]`, which sets `address` to HOST:PORT.

server_pid=""
server_work=""

stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ -n "$server_work" ]]; then
        rm -rf "$server_work"
    fi
}
trap stop_server EXIT

# Prints the server's log to standard error, for a failure report.
server_log_tail() {
    tail -n "${1:-50}" "$server_work/server.log" >&2
}

start_server() {
    server_work="$1"
    shift
    cargo build --quiet
    local binary="${CARGO_TARGET_DIR:-target}/debug/batch-odata"
    "$binary" serve --listen 127.0.0.1:0 --data-dir "$server_work/data" --no-demo "$@" \
        2> "$server_work/server.log" &
    server_pid=$!

    # The server logs "listening address=127.0.0.1:PORT" once it accepts connections.
    address=""
    for _ in $(seq 1 600); do
        address="$(sed -n 's/.*listening address=\([0-9.:]*\).*/\1/p' "$server_work/server.log" \
            | head -n 1)"
        [[ -n "$address" ]] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: the server did not start; its log:" >&2
    cat "$server_work/server.log" >&2
    exit 1
}
