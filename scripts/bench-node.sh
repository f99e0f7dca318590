#!/usr/bin/env bash
# bench-node.sh MODEL [N] [ROUNDS]
#
# Measures embellama against node-llama-cpp, the JavaScript binding whose
# npm packages ship the prebuilt libraries this project loads, on the same
# prebuilt CPU library and model: N short texts of the benchmark corpus
# (default 300), ROUNDS alternating rounds (default 3). node-llama-cpp (the
# pinned version) is installed into build/node-bench; embellama uses
# lib/<os>-<arch>-cpu (make lib). node-llama-cpp embeds one text per call,
# so embellama is measured both with 64 texts per call and with one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=$(realpath "${1:?usage: bench-node.sh MODEL [N] [ROUNDS]}")
n=${2:-300}
rounds=${3:-3}
version=$(sed -n 's/^NODE_LLAMA_CPP_VERSION=//p' "$root/LLAMA_CPP_VERSION")
goos=$(go env GOOS); goarch=$(go env GOARCH)
lib="$root/lib/$goos-$goarch-cpu"
threads=${THREADS:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}
[ -d "$lib" ] && [ -x "$root/bin/embellama" ] || { echo "bench-node: run make lib build first" >&2; exit 1; }
dir="$root/build/node-bench"
mkdir -p "$dir"
if [ ! -d "$dir/node_modules/node-llama-cpp" ]; then
	(cd "$dir" && npm install --no-audit --no-fund --ignore-scripts "node-llama-cpp@$version" >/dev/null)
fi
cp "$root/scripts/node-bench/bench.mjs" "$dir/bench.mjs"
texts="$dir/short-$n.txt"
(cd "$root" && go run ./internal/cmd/gencorpus -kind short -n "$n") >"$texts"
echo "model $model, $n short texts, $threads threads; node-llama-cpp $version; embellama on $lib"
for round in $(seq "$rounds"); do
	echo "round $round"
	(cd "$dir" && node bench.mjs "$model" "$texts" "$threads" seq)
	(cd "$dir" && node bench.mjs "$model" "$texts" "$threads" all)
	for per in 64 1; do
		printf 'embellama (%s per call): ' "$per"
		"$root/bin/embellama" bench -lib "$lib" -model "$model" -file "$texts" -n "$n" -request "$per" \
			-threads "$threads" -latency 0 | awk '/embellama \(library\)/ {print $3 " texts/s"}'
	done
done
