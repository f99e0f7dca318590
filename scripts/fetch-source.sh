#!/usr/bin/env bash
# fetch-source.sh: check out the llama.cpp source that the pinned prebuilt
# libraries were built from (node-llama-cpp's llama/gitRelease.bundle) into
# .cache/llama.cpp. The layout test compiles a probe against its headers;
# the benchmark targets build llama-server from it. Nothing of it is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. <(grep -E '^[A-Z_]+=' "$root/LLAMA_CPP_VERSION")
dest="$root/.cache/llama.cpp"
if [ -f "$dest/include/llama.h" ] && [ "$(git -C "$dest" rev-parse --short=7 HEAD 2>/dev/null)" = "$LLAMA_CPP_COMMIT" ]; then
	echo "fetch-source: $dest is up to date ($LLAMA_CPP_TAG, $LLAMA_CPP_COMMIT)"
	exit 0
fi
tarball=$("$root/scripts/npm-fetch.sh" "node-llama-cpp@$NODE_LLAMA_CPP_VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tarball" -C "$tmp" package/llama/gitRelease.bundle
rm -rf "$dest"
git clone --quiet "$tmp/package/llama/gitRelease.bundle" "$dest" 2>/dev/null
got=$(git -C "$dest" rev-parse --short=7 HEAD)
if [ "$got" != "$LLAMA_CPP_COMMIT" ]; then
	echo "fetch-source: bundle is at $got, LLAMA_CPP_VERSION pins $LLAMA_CPP_COMMIT" >&2
	exit 1
fi
echo "fetch-source: llama.cpp $LLAMA_CPP_TAG ($got) in $dest"
