#!/usr/bin/env bash
# Runs the Python azure-batch SDKs 6.0.0 and 4.1.3, unmodified, against `batch-odata serve`
# with Shared Key authentication, using tests/sdk/client.py. Needs python3 with venv and
# access to PyPI. The virtual environments are kept in SDK_VENV_DIR between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

venv_root="${SDK_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batch-odata-sdk}"
work="$(mktemp -d)"
server_pid=""

cleanup() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Creates (once) a virtual environment with one azure-batch version.
make_venv() {
    local version="$1"
    local dir="$venv_root/azure-batch-$version"
    if ! "$dir/bin/python" -c "import azure.batch" 2>/dev/null; then
        rm -rf "$dir"
        python3 -m venv "$dir"
        timeout 600 "$dir/bin/pip" install --quiet "azure-batch==$version"
    fi
    echo "$dir"
}

cargo build --quiet
binary="${CARGO_TARGET_DIR:-target}/debug/batch-odata"
key="$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"

"$binary" serve --listen 127.0.0.1:0 --data-dir "$work/data" --no-demo \
    --account sdkaccount --key "$key" 2> "$work/server.log" &
server_pid=$!

# The server logs "listening address=127.0.0.1:PORT" once it accepts connections.
address=""
for _ in $(seq 1 600); do
    address="$(sed -n 's/.*listening address=\([0-9.:]*\).*/\1/p' "$work/server.log" | head -n 1)"
    [[ -n "$address" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z "$address" ]]; then
    echo "error: the server did not start; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

status=0
for version in 6.0.0 4.1.3; do
    venv="$(make_venv "$version")"
    echo "azure-batch $version against http://$address"
    if ! timeout 300 "$venv/bin/python" tests/sdk/client.py \
        "http://$address" sdkaccount "$key" "sdk-${version//./-}"; then
        echo "error: azure-batch $version failed; server log:" >&2
        tail -n 50 "$work/server.log" >&2
        status=1
    fi
done
exit "$status"
