// Package nativebuild compiles the pinned llama.cpp source for the CPU it
// runs on and installs the shared libraries as the [platform.Native]
// library: the source is the git bundle that the pinned node-llama-cpp
// package ships, fetched and sha256-checked like any library package;
// CMake and the system compiler build the library targets only (llama and
// ggml, with GGML_NATIVE); the result is placed with a manifest, so
// `embellama lib verify` checks it like an installed library.
package nativebuild
