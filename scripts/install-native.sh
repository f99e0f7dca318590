#!/usr/bin/env bash
# install-native.sh: build the pinned llama.cpp source for this CPU
# (scripts/build-llama.sh, GGML_NATIVE=ON) and install its shared libraries
# into lib/<goos>-<goarch>-native/. The engine loads it like any other
# library: embellama -lib lib/<goos>-<goarch>-native, or EMBELLAMA_LIB_DIR.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
goos=$(go env GOOS)
goarch=$(go env GOARCH)
"$root/scripts/build-llama.sh" >/dev/null
dest="$root/lib/$goos-$goarch-native"
rm -rf "$dest"
mkdir -p "$dest"
cp -P "$root"/build/llama.cpp/bin/libllama.so* "$root"/build/llama.cpp/bin/libggml*.so* "$dest/"
cp "$root/.cache/llama.cpp/LICENSE" "$dest/LICENSE.llama.cpp"
echo "install-native: installed $(ls "$dest" | grep -c '\.so') libraries into $dest"
