#!/usr/bin/env bash
# build-llama.sh: build the pinned llama.cpp source (scripts/fetch-source.sh)
# for this CPU into build/llama.cpp (LLAMA_BUILD_DIR=dir to build elsewhere): shared
# libllama/ggml (GGML_NATIVE=ON; ggml cannot load a native CPU backend as a
# module), llama-server and llama-embedding. They are the reference the
# benchmarks and golden vectors are measured against, and `make lib
# BACKEND=native` (`embellama lib build`) builds the same libraries into lib/.
# Like lib build it leaves out ggml's AMX kernels (-mno-amx-*, when the
# compiler accepts them): on an AMX CPU they crash every Q8_0 model
# (ggml_backend_amx_mul_mat, llama.cpp issue 20824; docs/performance.md,
# "Native build flags"). Nothing built here is committed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/fetch-source.sh" >/dev/null
src="$root/.cache/llama.cpp"
out="${LLAMA_BUILD_DIR:-$root/build/llama.cpp}"
command -v cmake >/dev/null || { echo "build-llama: cmake is required (apt-get install cmake)" >&2; exit 1; }
noamx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
accepts() { "$1" $noamx -E -x "$2" - </dev/null >/dev/null 2>&1; }
flags=()
if accepts "${CC:-cc}" c && accepts "${CXX:-c++}" c++; then
	flags=("-DCMAKE_C_FLAGS=${CFLAGS:-} $noamx" "-DCMAKE_CXX_FLAGS=${CXXFLAGS:-} $noamx")
fi
cmake -S "$src" -B "$out" -DCMAKE_BUILD_TYPE=Release \
	-DBUILD_SHARED_LIBS=ON -DGGML_BACKEND_DL=OFF -DGGML_NATIVE=ON \
	-DLLAMA_OPENSSL=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_APP=OFF "${flags[@]}" >/dev/null
cmake --build "$out" -j "$(nproc)" --target llama-server llama-embedding
echo "build-llama: built into $out/bin"
