#!/usr/bin/env bash
# Installs the e2e clients, pinned (npm: viem, ethers, solc-js, anvil/forge/cast 1.7.1; PyPI: web3), into
# ~/.cache/parevm-e2e/<hash of the lock files> once, and links e2e/node_modules to it. Idempotent; prints
# the cache folder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${PAREVM_E2E_CACHE:-$HOME/.cache/parevm-e2e}
key=$(cat "$here/package-lock.json" "$here/requirements.txt" | sha256sum | cut -c1-16)
dir="$cache/$key"
if [ ! -f "$dir/.ok" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$here/package.json" "$here/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    python3 -m pip install --quiet --disable-pip-version-check --target "$dir/py" -r "$here/requirements.txt" >&2
    touch "$dir/.ok"
fi
ln -sfn "$dir/node_modules" "$here/node_modules"
echo "$dir"
