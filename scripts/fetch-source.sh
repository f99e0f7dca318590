#!/usr/bin/env bash
# fetch-source.sh: check out every llama.cpp source that a pinned prebuilt
# library was built from (node-llama-cpp's llama/gitRelease.bundle, one per
# `source` line of platform/pins.txt): the release of LLAMA_CPP_VERSION into
# .cache/llama.cpp, every other one into .cache/llama.cpp-<tag>. The layout
# test compiles a probe against each one's headers; the benchmark targets
# build llama-server from the first. Nothing of it is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. <(grep -E '^[A-Z_]+=' "$root/LLAMA_CPP_VERSION")

while read -r _ pkg version _ tag commit _; do
	dest="$root/.cache/llama.cpp-$tag"
	[ "$tag" = "$LLAMA_CPP_TAG" ] && dest="$root/.cache/llama.cpp"
	if [ -f "$dest/include/llama.h" ] && [ "$(git -C "$dest" rev-parse --short=7 HEAD 2>/dev/null)" = "$commit" ]; then
		echo "fetch-source: $dest is up to date ($tag, $commit)"
		continue
	fi
	tarball=$("$root/scripts/npm-fetch.sh" "$pkg@$version")
	tmp=$(mktemp -d)
	tar -xzf "$tarball" -C "$tmp" package/llama/gitRelease.bundle
	rm -rf "$dest"
	git clone --quiet "$tmp/package/llama/gitRelease.bundle" "$dest" 2>/dev/null
	rm -rf "$tmp"
	got=$(git -C "$dest" rev-parse --short=7 HEAD)
	if [ "$got" != "$commit" ]; then
		echo "fetch-source: bundle is at $got, platform/pins.txt pins $commit" >&2
		exit 1
	fi
	echo "fetch-source: llama.cpp $tag ($got) in $dest"
done < <(awk '$1 == "source"' "$root/platform/pins.txt")
