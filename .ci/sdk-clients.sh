#!/usr/bin/env bash
# Runs the Python azure-batch SDKs 6.0.0 and 4.1.3, unmodified, against `batch-odata serve`
# with Shared Key authentication, using tests/sdk/client.py. Needs python3 with venv and
# access to PyPI. The virtual environments are kept in SDK_VENV_DIR between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

source .ci/lib-serve.sh

venv_root="${SDK_VENV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/batch-odata-sdk}"

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

key="$(python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')"
start_server "$(mktemp -d)" --account sdkaccount --key "$key"

status=0
for version in 6.0.0 4.1.3; do
    venv="$(make_venv "$version")"
    echo "azure-batch $version against http://$address"
    if ! timeout 300 "$venv/bin/python" tests/sdk/client.py \
        "http://$address" sdkaccount "$key" "sdk-${version//./-}"; then
        echo "error: azure-batch $version failed; server log:" >&2
        server_log_tail 50
        status=1
    fi
done
exit "$status"
