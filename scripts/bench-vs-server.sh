#!/usr/bin/env bash
# bench-vs-server.sh MODEL [CORPUS] [-- extra embellama bench flags]
#
# Measures embellama against llama-server on the same llama.cpp build (the
# pinned source compiled for this CPU: make lib BACKEND=native) and the same
# model, in one run: it starts llama-server on 127.0.0.1, runs
# `embellama bench -vs-server`, and stops the server. Settings are echoed so
# the figures can be reproduced. Environment: NP (llama-server -np, default
# 8), UB (-b/-ub, default 512), THREADS (default: physical cores), POOLING
# (for both, for models that declare none), SERVER_ARGS (more llama-server
# flags, such as "-fa off"), LIB (the library directory both load, default
# lib/<os>-<arch>-native; lib/<os>-<arch>-cpu is the prebuilt one `make run`
# installs), PORT (default 18181).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:?usage: bench-vs-server.sh MODEL [short|long] [-- flags]}
corpus=${2:-short}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
goos=$(go env GOOS); goarch=$(go env GOARCH)
lib=${LIB:-$root/lib/$goos-$goarch-native}
server="$root/build/llama.cpp/bin/llama-server"
[ -x "$server" ] && [ -d "$lib" ] || { echo "bench-vs-server: run make lib BACKEND=native (or make llama, for LIB=lib/...-cpu) first" >&2; exit 1; }
np=${NP:-8}
ub=${UB:-512}
threads=${THREADS:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}
port=${PORT:-18181}
args=(-m "$model" --embeddings -c $((ub * np)) -b "$ub" -ub "$ub" -np "$np" -t "$threads" -tb "$threads"
	--host 127.0.0.1 --port "$port" --no-webui --log-disable)
extra=()
# shellcheck disable=SC2206 # SERVER_ARGS is a list of words on purpose
[ -n "${SERVER_ARGS:-}" ] && args+=(${SERVER_ARGS})
if [ -n "${POOLING:-}" ]; then
	args+=(--pooling "$POOLING")
	extra+=(-pooling "$POOLING")
fi
echo "llama-server ${args[*]}"
LD_LIBRARY_PATH="$lib" "$server" "${args[@]}" >/tmp/bench-llama-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
	curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
	sleep 0.5
done
curl -fs "http://127.0.0.1:$port/health" >/dev/null || { echo "llama-server did not start:"; tail -20 /tmp/bench-llama-server.log; exit 1; }
# Which libllama and ggml CPU variant llama-server really mapped: the
# same files as embellama's (its settings line names them), or the
# comparison is not of one library.
echo "llama-server maps: $(grep -oE '/[^ ]*lib(llama|ggml-cpu)[^ ]*' "/proc/$pid/maps" | sort -u | tr '\n' ' ')"
set -x
"$root/bin/embellama" bench -lib "$lib" -model "$model" -corpus "$corpus" -threads "$threads" \
	-vs-server "http://127.0.0.1:$port/v1/embeddings" "${extra[@]}" "$@"
