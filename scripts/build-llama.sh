#!/usr/bin/env bash
# build-llama.sh: build the pinned llama.cpp source (scripts/fetch-source.sh)
# for this CPU into build/llama.cpp: shared libllama/ggml (GGML_NATIVE=ON;
# ggml cannot load a native CPU backend as a module), llama-server and
# llama-embedding. They are the reference the benchmarks and golden vectors
# are measured against, and `make lib BACKEND=native` (`embellama lib build`) builds the same libraries into lib/.
# Nothing built here is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/fetch-source.sh" >/dev/null
src="$root/.cache/llama.cpp"
out="$root/build/llama.cpp"
command -v cmake >/dev/null || { echo "build-llama: cmake is required (apt-get install cmake)" >&2; exit 1; }
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release \
	-DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=OFF -DGGML_NATIVE=ON \
	-DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_APP=OFF >/dev/null
cmake --build "$out" -j "$(nproc)" --target llama-server llama-embedding
echo "build-llama: built into $out/bin"
