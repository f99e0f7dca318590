#!/usr/bin/env bash
# dist.sh [GOOS/GOARCH/BACKEND ...]: build release archives into ${DIST_DIR:-dist}/:
# embellama-<version>-<goos>-<goarch>-<backend>.tar.gz with the CLI
# (CGO_ENABLED=0) next to the native libraries of that platform and their
# licences, plus SHA256SUMS. Without arguments: every platform installed
# under lib/. The binary finds the libraries beside itself. Each archive's
# README.md is scripts/dist/README.md (what each platform needs beside
# the libraries, first commands) with its version and target filled in.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${DIST_DIR:-$root/dist}
version=$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)
mkdir -p "$out"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for d in "$root"/lib/*-*-*/; do
		[ -d "$d" ] || continue
		IFS=- read -r goos goarch backend <<<"$(basename "$d")"
		targets+=("$goos/$goarch/$backend")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "dist: no libraries installed (make lib)" >&2; exit 1; }
for t in "${targets[@]}"; do
	IFS=/ read -r goos goarch backend <<<"$t"
	libdir="$root/lib/$goos-$goarch-$backend"
	[ -d "$libdir" ] || { echo "dist: $libdir is not installed (make lib BACKEND=$backend)" >&2; exit 1; }
	name="embellama-$version-$goos-$goarch-$backend"
	stage=$(mktemp -d)
	mkdir -p "$stage/$name"
	exe=embellama
	[ "$goos" = windows ] && exe=embellama.exe
	(cd "$root" && CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -ldflags "-s -w" -o "$stage/$name/$exe" ./cmd/embellama)
	(cd "$libdir" && find . -type f ! -name .installed -print0 | while IFS= read -r -d '' f; do
		mkdir -p "$stage/$name/$(dirname "$f")"
		cp "$f" "$stage/$name/$f"
	done)
	sed -e "s|@VERSION@|$version|g" -e "s|@TARGET@|$goos/$goarch ($backend)|g" "$root/scripts/dist/README.md" >"$stage/$name/README.md"
	cp "$root/LLAMA_CPP_VERSION" "$stage/$name/"
	tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
	rm -rf "$stage"
	echo "dist: $out/$name.tar.gz"
done
(cd "$out" && sha256sum ./*.tar.gz | sed 's| \./| |' >SHA256SUMS)
