#!/usr/bin/env bash
# Installs kona-node 1.0.0-rc.1, the Rust OP rollup node that cli/tests/kona_e2e drives `parevm node` with,
# from the Rust package registry (`cargo install --locked`) into ~/.cache/parevm/kona-node-1.0.0-rc.1 the
# first time (about 22 minutes on 2 cores; later kona versions pin git dependencies). Idempotent; prints the
# binary's path. PAREVM_KONA_NODE names a binary to use instead (nothing is built then).
set -euo pipefail
version=1.0.0-rc.1
if [ -n "${PAREVM_KONA_NODE:-}" ]; then
    if [ ! -x "$PAREVM_KONA_NODE" ]; then
        echo "error: PAREVM_KONA_NODE=$PAREVM_KONA_NODE is not an executable" >&2
        exit 1
    fi
    echo "$PAREVM_KONA_NODE"
    exit 0
fi
root="$HOME/.cache/parevm/kona-node-$version"
bin="$root/bin/kona-node"
if [ ! -x "$bin" ]; then
    mkdir -p "$root"
    # One build at a time: a second caller waits for the first one's binary.
    exec 9>"$root.lock"
    flock 9
    if [ ! -x "$bin" ]; then
        echo "building kona-node $version into $root (about 22 minutes on 2 cores)" >&2
        cargo install kona-node --version "$version" --locked --root "$root" >&2
    fi
fi
echo "$bin"
