#!/usr/bin/env bash
# install-lib.sh [BACKEND [GOOS [GOARCH]]]: install the pinned prebuilt
# llama.cpp libraries for a platform into lib/<goos>-<goarch>-<backend>/.
# Only shared libraries (and the package licence) are installed. Re-running
# with the same pins does nothing.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091
. <(grep -E '^[A-Z_]+=' "$root/LLAMA_CPP_VERSION")

backend=${1:-cpu}
goos=${2:-$(go env GOOS)}
goarch=${3:-$(go env GOARCH)}
v=$NODE_LLAMA_CPP_VERSION

case "$goos/$goarch/$backend" in
linux/amd64/cpu) pkgs="linux-x64" ;;
linux/amd64/vulkan) pkgs="linux-x64-vulkan" ;;
linux/amd64/cuda) pkgs="linux-x64-cuda linux-x64-cuda-ext" ;;
linux/arm64/cpu) pkgs="linux-arm64" ;;
*)
	echo "install-lib: no pinned node-llama-cpp $v package for $goos/$goarch/$backend" >&2
	echo "install-lib: available: linux/amd64/{cpu,vulkan,cuda}, linux/arm64/cpu" >&2
	exit 1
	;;
esac

dest="$root/lib/$goos-$goarch-$backend"
stamp="$dest/.installed"
want=""
for p in $pkgs; do
	want+="$(grep " node-llama-cpp-$p-$v.tgz\$" "$root/LLAMA_CPP_SHA256SUMS")"$'\n'
done
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(printf '%s' "$want")" ]; then
	echo "install-lib: $dest is up to date"
	exit 0
fi

specs=()
for p in $pkgs; do specs+=("@node-llama-cpp/$p@$v"); done
mapfile -t tarballs < <("$root/scripts/npm-fetch.sh" "${specs[@]}")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$dest"
mkdir -p "$dest"
for t in "${tarballs[@]}"; do
	rm -rf "$tmp/package"
	tar -xzf "$t" -C "$tmp"
	cp "$tmp/package/LICENSE" "$dest/LICENSE.node-llama-cpp"
	# bins/<platform>/... keeps its sub-folders (the CUDA fallback lives in one).
	(cd "$tmp/package/bins"/* && find . -type f \( -name '*.so' -o -name '*.so.*' -o -name '*.dylib' -o -name '*.dll' \) \
		! -name 'libllama-common*' ! -name 'llama-common*' -print0 |
		while IFS= read -r -d '' f; do
			mkdir -p "$dest/$(dirname "$f")"
			cp "$f" "$dest/$f"
		done)
done
printf '%s' "$want" >"$stamp"
echo "install-lib: installed $(find "$dest" -type f \( -name '*.so*' -o -name '*.dylib' -o -name '*.dll' \) | wc -l) libraries into $dest"
