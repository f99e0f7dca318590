#!/usr/bin/env bash
# test-cpu-variants.sh [PACKAGES...]: run the test suite once per ggml CPU
# variant this machine can execute, each with the library restricted to
# that variant, and print a table variant -> pass/fail/cannot run.
#
# The prebuilt package ships one CPU backend per instruction-set level
# (libggml-cpu-sse42.so ... -zen4.so) and ggml loads the best one the CPU
# runs. The variants round differently, so a test that holds on one CPU
# may fail on the next machine; this script runs each variant on this one.
# For each variant a directory under build/cpu-variants/ holds links to
# the pinned libraries with only that CPU backend, and the suite runs with
# EMBELLAMA_LIB_DIR pointing at it. A variant ggml refuses here (its
# instructions are missing, so no model loads) is reported as "cannot run".
#
# PACKAGES defaults to ./...; RUN (a go test -run pattern) narrows the
# tests, for example to those that compare numbers; the slow once-only tests (the Vulkan and CUDA
# children, the release archive, the documents' commands, the settings'
# extremes; the Makefile passes its ONCE_TESTS as SKIP_TESTS) are skipped:
# they load other libraries or do not compare numbers. Exit status 1 when any runnable variant fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
goos=$(go env GOOS)
goarch=$(go env GOARCH)
lib="$root/lib/$goos-$goarch-cpu"
out="$root/build/cpu-variants"
model="$root/../shared/models/bert-mean.gguf"
skip=${SKIP_TESTS:-'^(TestVulkanBackend|TestCUDAFallback|TestDist|TestDocumentedCommands|TestExtremeSettings)$'}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)

shopt -s nullglob
variants=("$lib"/libggml-cpu-*.so "$lib"/libggml-cpu-*.dylib "$lib"/ggml-cpu-*.dll)
if [ ${#variants[@]} -eq 0 ]; then
	echo "test-cpu-variants: no CPU variants in $lib (a native build has one backend; run make lib)" >&2
	exit 1
fi
mkdir -p "$root/bin"
CGO_ENABLED=0 go build -o "$out/embellama" ./cmd/embellama || exit 1

declare -a table
failed=0
for v in "${variants[@]}"; do
	name=$(basename "$v")
	name=${name#libggml-cpu-}
	name=${name#ggml-cpu-}
	name=${name%.*}
	dir="$out/$name"
	rm -rf "$dir"
	mkdir -p "$dir"
	for f in "$lib"/*; do
		case $(basename "$f") in
		libggml-cpu-* | ggml-cpu-*) ;;
		*) ln -s "$f" "$dir/" ;;
		esac
	done
	ln -s "$v" "$dir/"
	loaded=$(EMBELLAMA_LIB_DIR=$dir "$out/embellama" info -model "$model" 2>/dev/null | sed -n 's/^CPU variant[[:space:]]*\([^ ]*\).*/\1/p')
	if [ "$loaded" != "$(basename "$v")" ]; then
		echo "== $name: cannot run on this CPU (ggml loaded ${loaded:-no CPU backend})"
		table+=("$name|cannot run here")
		continue
	fi
	echo "== $name: go test -count=1 ${pkgs[*]}"
	start=$(date +%s)
	if CGO_ENABLED=0 EMBELLAMA_LIB_DIR=$dir go test -count=1 -run "${RUN:-.}" -skip "$skip" "${pkgs[@]}" >"$dir/test.log" 2>&1; then
		table+=("$name|pass ($(($(date +%s) - start)) s)")
	else
		table+=("$name|FAIL (see build/cpu-variants/$name/test.log)")
		grep -E '^(--- FAIL|FAIL|panic)' "$dir/test.log" | head -20
		failed=1
	fi
done

echo
echo "| CPU variant | result |"
echo "|---|---|"
for row in "${table[@]}"; do
	echo "| ${row%%|*} | ${row#*|} |"
done
exit $failed
