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
# installs), PORT (default 18181), EMBELLAMA (the embellama binary, default
# bin/embellama: another build, to measure before and after a change against
# the same llama-server), RERANK=1 (a reranker: llama-server --rerank, and
# `embellama bench -rerank` against its /v1/rerank, comparing the scores;
# leave POOLING unset, --rerank sets rank pooling).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
model=${1:?usage: bench-vs-server.sh MODEL [short|long] [-- flags]}
corpus=${2:-short}
shift $(( $# >= 2 ? 2 : 1 ))
[ "${1:-}" = "--" ] && shift
goos=$(go env GOOS); goarch=$(go env GOARCH)
lib=$(cd "${LIB:-$root/lib/$goos-$goarch-native}" && pwd)
model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
server="$root/build/llama.cpp/bin/llama-server"
emb=${EMBELLAMA:-$root/bin/embellama}
[ -x "$server" ] && [ -d "$lib" ] || { echo "bench-vs-server: run make lib BACKEND=native (or make llama, for LIB=lib/...-cpu) first" >&2; exit 1; }
np=${NP:-8}
ub=${UB:-512}
threads=${THREADS:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}
port=${PORT:-18181}
extra=()
mode=--embeddings route=/v1/embeddings
if [ "${RERANK:-0}" != 0 ]; then
	mode=--rerank route=/v1/rerank
	extra+=(-rerank)
fi
args=(-m "$model" "$mode" -c $((ub * np)) -b "$ub" -ub "$ub" -np "$np" -t "$threads" -tb "$threads"
	--host 127.0.0.1 --port "$port" --no-webui --log-disable)
# shellcheck disable=SC2206 # SERVER_ARGS is a list of words on purpose
[ -n "${SERVER_ARGS:-}" ] && args+=(${SERVER_ARGS})
if [ -n "${POOLING:-}" ]; then
	args+=(--pooling "$POOLING")
	extra+=(-pooling "$POOLING")
fi
# A prebuilt library (npm package) names its files libllama.v<ver>.so,
# libggml.v<ver>.so, libggml-base.so and loads its CPU variants
# (libggml-cpu-<family>.so) as modules, while llama-server from the source
# build asks for libllama.so.0, libggml.so.0, ...: a directory of links
# under those names makes it load the prebuilt files, and llama-server runs
# in the library directory, where ggml_backend_load_all looks for the
# variants (it searches the executable's directory and the current one).
ldpath=$lib
rundir=$PWD
shim=$(mktemp -d)
if [ ! -e "$lib/libllama.so.0" ]; then
	needed=$(for f in "$server" "$(dirname "$server")"/lib*.so*; do readelf -d "$f" 2>/dev/null; done |
		sed -n 's/.*(NEEDED).*\[\(lib\(llama\|ggml\|ggml-base\|ggml-cpu\)\.so[.0-9]*\)\].*/\1/p' | sort -u)
	for n in $needed; do
		case $n in
		libllama.so*) target=$(ls "$lib"/libllama*.so | head -1) ;;
		libggml-base.so*) target="$lib/libggml-base.so" ;;
		libggml-cpu.so*) target="$lib/$("$emb" info -lib "$lib" | sed -n 's/^CPU variant *\([^ ]*\).*/\1/p')" ;;
		libggml.so*) target=$( (ls "$lib"/libggml.v*.so "$lib"/libggml.so 2>/dev/null || true) | head -1) ;;
		esac
		ln -sf "$target" "$shim/$n"
	done
	ldpath="$shim:$lib"
	rundir=$lib
fi
echo "llama-server ${args[*]} (LD_LIBRARY_PATH=$ldpath, in $rundir)"
(cd "$rundir" && LD_LIBRARY_PATH="$ldpath" exec "$server" "${args[@]}") >/tmp/bench-llama-server.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; rm -rf "$shim"' EXIT
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
"$emb" bench -lib "$lib" -model "$model" -corpus "$corpus" -threads "$threads" \
	-vs-server "http://127.0.0.1:$port$route" "${extra[@]}" "$@"
