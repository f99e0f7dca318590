# embellama — see README.md. Every target installs what it needs.
include LLAMA_CPP_VERSION

SHELL     := /bin/bash
GO        ?= go
BACKEND   ?= cpu
GOOS      := $(shell $(GO) env GOOS)
GOARCH    := $(shell $(GO) env GOARCH)
LIBDIR    := lib/$(GOOS)-$(GOARCH)-$(BACKEND)
BIN       := bin/embellama
# The model `make run` embeds with; empty: the first embedding model in
# $EMBELLAMA_MODELS, then in embellama pull's directory. This repository's
# test models (../shared/models) are searched only here and by the tests:
# the CLI itself knows no such directory.
MODEL     ?=
EMBELLAMA_MODELS ?= $(wildcard ../shared/models)
TEXT      ?= The quick brown fox jumps over the lazy dog.
# Tests treat a missing library or model as a failure, not a skip (see
# internal/testenv). Set CI=false to let them skip on a partial setup.
CI        ?= true
export CI

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
PLATFORMS   := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

.PHONY: all run lib lib-dist test-arm64 test-wine headers fixtures bench-fixtures llama golden golden-rerank bench dist build test test-unit test-race test-once test-fuzz test-contrib test-cpu-variants test-deps fuzz check cross tidy clean

all: build

## run: install the pinned library, build, and embed $(TEXT) with the default model
##      (with no model anywhere, `embellama pull` fetches all-MiniLM-L6-v2 first)
run: lib build
	@if [ -z "$(MODEL)" ] && EMBELLAMA_MODELS="$(EMBELLAMA_MODELS)" $(BIN) info | grep -q '^model  *none:'; then \
		echo "make run: no embedding model found; fetching the default one: $(BIN) pull"; $(BIN) pull; fi
	EMBELLAMA_MODELS="$(EMBELLAMA_MODELS)" $(BIN) embed $(if $(MODEL),-model $(MODEL)) "$(TEXT)"

# `embellama lib install`: npm pack into the user cache's embellama/npm
# (shared by every target and checkout), sha256 check, extraction in Go.
LIBINSTALL := CGO_ENABLED=0 $(GO) run ./cmd/embellama lib install

## lib: install the pinned prebuilt llama.cpp libraries into lib/<goos>-<goarch>-<backend>
##      with `embellama lib install` (BACKEND=native builds the pinned source for this CPU instead)
lib:
ifeq ($(BACKEND),native)
	scripts/install-native.sh
else
	@echo "lib: $(GOOS)/$(GOARCH)/$(BACKEND) library (every command and test loads it): pinned npm package into $(LIBDIR)"
	$(LIBINSTALL) -os $(GOOS) -arch $(GOARCH) -backend $(BACKEND)
endif

# stories260K is left out by default: under emulation its three passes take
# over an hour of CPU (bert-mean and qwen3-last: minutes).
ARM64_MODELS ?= bert-mean,qwen3-last

# The six release targets and the backend each archive carries.
DIST_TARGETS := linux/amd64/cpu linux/arm64/cpu darwin/amd64/cpu darwin/arm64/metal windows/amd64/cpu windows/arm64/cpu

## lib-dist: the libraries of every release target (for make dist and its test)
lib-dist:
	@for t in $(DIST_TARGETS); do \
		IFS=/ read -r os arch backend <<<"$$t"; \
		echo "lib-dist: $$os/$$arch/$$backend library (make dist packs it): pinned npm package into lib/$$os-$$arch-$$backend"; \
		$(LIBINSTALL) -os $$os -arch $$arch -backend $$backend || exit 1; \
	done

## headers: check out every pinned llama.cpp source (headers for the layout test) into .cache/
headers:
	@echo "headers: llama.cpp source of every pinned release (the layout test compiles against each): .cache/llama.cpp*"
	scripts/fetch-source.sh

## fixtures: generate the small fixture models into .cache/fixtures (needs headers for the vocabularies)
fixtures: headers
	$(GO) run ./internal/cmd/genfixtures

## bench-fixtures: also generate the full-size MiniLM and bge-base shapes
bench-fixtures: headers
	$(GO) run ./internal/cmd/genfixtures -bench

## llama: build the pinned llama.cpp (llama-server, llama-embedding) into build/llama.cpp — the reference
llama: headers
	scripts/build-llama.sh

## golden: re-record testdata/golden/*.json with the reference llama-embedding
golden: fixtures llama
	$(GO) run ./internal/cmd/golden
	$(MAKE) golden-rerank

## golden-rerank: re-record the rerankers' scores with llama.cpp's C API (needs make lib and a C compiler)
golden-rerank: fixtures
	$(GO) run ./internal/cmd/goldenrerank

## bench: embellama vs llama-server, same native library, MiniLM-shaped model, short corpus
bench: build bench-fixtures
	$(MAKE) lib BACKEND=native
	scripts/bench-vs-server.sh .cache/fixtures/minilm-l6-f16.gguf short -- -n 1000 -latency 100

## dist: release archives (binary + native libraries + licences) for the six release targets, with SHA256SUMS
dist: lib-dist
	scripts/dist.sh $(DIST_TARGETS)

## build: build the CLI without cgo
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/embellama

# Slow tests run once, not three times: the suite again in a child
# process on another library, the release archives, the CLI built and run
# from elsewhere, every pinned package installed, the commands of the
# documents (which run make run and make build themselves), every setting
# at its extremes in child processes, and every model converted into every
# weight format.
ONCE_TESTS := ^(TestVulkanBackend|TestCUDAFallback|TestDist|TestDistLayout|TestLibraryFoundFromAnywhere|TestInstallPinned|TestDocumentedCommands|TestExtremeSettings|TestQuantizeKeepsEmbeddings)$$

## test: install the libraries, headers and fixtures, then run every test (without cgo,
##       with the race detector, on the Vulkan and CUDA libraries, and a fuzz smoke).
##       Every step runs even when an earlier one fails (make -k); the exit status
##       is non-zero when any failed, and make names each failed step at the end.
test: lib headers fixtures test-deps
	$(MAKE) -k test-unit test-race test-once test-fuzz test-contrib

test-unit:
	CGO_ENABLED=0 $(GO) test -shuffle=on -count=3 -skip '$(ONCE_TESTS)' ./...

test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 -skip '$(ONCE_TESTS)' ./...

test-once:
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 30m -run '$(ONCE_TESTS)' -v ./embed ./cmd/embellama ./internal/libinstall | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|worst|backend in use|fallback|cases over' ; test $${PIPESTATUS[0]} -eq 0

test-fuzz:
	$(MAKE) fuzz FUZZTIME=10s

## test-cpu-variants: run the suite once per ggml CPU variant this machine can execute,
##                    the library restricted to that variant, and print variant -> pass/fail
test-cpu-variants: lib lib-dist headers fixtures
	SKIP_TESTS='$(ONCE_TESTS)' scripts/test-cpu-variants.sh

## test-deps: the Vulkan and CUDA libraries, the release targets' libraries, Mesa's lavapipe
##            (a CPU Vulkan device), curl (the README's server examples) and qemu-user with the
##            arm64 C runtime (make test-arm64), postgresql (examples/pgvector) and gcc (the race
##            detector), each announced with its reason before it is installed
test-deps: lib-dist
	@echo "test-deps: $(GOOS)/$(GOARCH)/vulkan library (TestVulkanBackend runs the suite on it): pinned npm package into lib/"
	$(LIBINSTALL) -os $(GOOS) -arch $(GOARCH) -backend vulkan
	@echo "test-deps: $(GOOS)/$(GOARCH)/cuda library (TestCUDAFallback runs it without a GPU): pinned npm packages into lib/"
	$(LIBINSTALL) -os $(GOOS) -arch $(GOARCH) -backend cuda
	@need() { echo "test-deps: apt $$1 ($$2)"; pkgs="$$pkgs $$1"; }; pkgs=""; \
	ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || need "mesa-vulkan-drivers libvulkan1" "a CPU Vulkan device for TestVulkanBackend"; \
	command -v curl >/dev/null || need curl "the README's server examples in TestDocumentedCommands"; \
	command -v qemu-aarch64 >/dev/null || need qemu-user "runs the linux/arm64 binary for make test-arm64"; \
	[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need "libc6-arm64-cross libstdc++6-arm64-cross libgomp1-arm64-cross" "the arm64 C and C++ runtime the arm64 library links"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need postgresql "a throwaway cluster for the examples/pgvector test"; \
	command -v gcc >/dev/null || need gcc "cgo for the race detector (make test-race) and the loader's C fixtures"; \
	if [ -n "$$pkgs" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "test-deps: apt-get install$$pkgs"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs) >/dev/null; \
		else echo "test-deps: not root: install$$pkgs yourself"; fi; \
	else echo "test-deps: apt packages already installed"; fi

# qemu-aarch64 runs the CGO_ENABLED=0 linux/arm64 test binary with the arm64
# C runtime of the cross packages as its root.
QEMU_ARM64 := QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64

## test-arm64: the linux/arm64 build, under qemu user-mode emulation, loads the pinned arm64
##             library and reproduces the reference vectors of ../shared/models
test-arm64: lib-dist
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) test -c -o bin/embed-arm64.test ./embed
	cd embed && EMBELLAMA_LIB_DIR=$(CURDIR)/lib/linux-arm64-cpu EMBELLAMA_TEST_REFERENCE=$(ARM64_MODELS) \
		$(QEMU_ARM64) ../bin/embed-arm64.test -test.run '^TestReferenceVectors$$' -test.v -test.timeout 90m \
		| grep -E '^(=== RUN|--- |PASS|FAIL|ok)|worst'; test $${PIPESTATUS[0]} -eq 0

# Wine runs the windows/amd64 test binary; Wine 8.0 lacks the
# bcryptprimitives.dll Go's runtime needs, so a two-line shim (built with
# mingw-w64) goes into the prefix's system32.
WINEPREFIX ?= $(CURDIR)/.cache/wine
WINE       ?= $(firstword $(wildcard /usr/lib/wine/wine64) wine64)

## test-wine: the windows/amd64 build, under Wine, loads the pinned Windows DLLs and reproduces
##            the reference vectors (needs apt wine64 and gcc-mingw-w64-x86-64)
test-wine: lib-dist
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) test -c -o bin/embed-windows.test.exe ./embed
	WINEPREFIX=$(WINEPREFIX) WINEDEBUG=-all $(WINE) cmd /c exit >/dev/null 2>&1 || true
	test -f $(WINEPREFIX)/drive_c/windows/system32/bcryptprimitives.dll || \
		x86_64-w64-mingw32-gcc -shared -O2 -o $(WINEPREFIX)/drive_c/windows/system32/bcryptprimitives.dll \
			scripts/wine/bcryptprimitives.c -lbcrypt
	cd embed && CI=true WINEPREFIX=$(WINEPREFIX) WINEDEBUG=-all EMBELLAMA_LIB_DIR=Z:$(CURDIR)/lib/windows-amd64-cpu \
		$(WINE) ../bin/embed-windows.test.exe -test.run '^TestReferenceVectors$$' -test.v -test.timeout 20m \
		| grep -E '^(=== RUN|--- |PASS|FAIL|ok)|worst'; test $${PIPESTATUS[0]} -eq 0

# The modules beside the root module: framework adapters, examples and the
# deployment manifests, each with its own go.mod (and a replace of the
# root), so their dependencies never reach the root's go.mod.
CONTRIB_MODULES := internal/contribtest contrib/langchaingo contrib/chromem contrib/eino contrib/genkit contrib/beam examples/pgvector deploy

## test-contrib: go vet and go test in each module of CONTRIB_MODULES (the PostgreSQL
##               example needs Debian's postgresql: make test-deps installs it)
test-contrib: lib
	@failed=""; for m in $(CONTRIB_MODULES); do \
		echo "== $$m"; \
		(cd $$m && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test -count=1 ./...) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-contrib: failed:$$failed"; exit 1; fi

FUZZTIME ?= 10m
## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./internal/gguf
	$(GO) test -run '^$$' -fuzz '^FuzzParseBackend$$' -fuzztime $(FUZZTIME) ./platform
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzSplit$$' -fuzztime $(FUZZTIME) ./internal/chunk
	$(GO) test -run '^$$' -fuzz '^FuzzSplitTokenizers$$' -fuzztime $(FUZZTIME) ./internal/chunk
	$(GO) test -run '^$$' -fuzz '^FuzzFill$$' -fuzztime $(FUZZTIME) ./internal/pair
	$(GO) test -run '^$$' -fuzz '^FuzzApply$$' -fuzztime $(FUZZTIME) ./internal/prompts

## check: formatting, vet, staticcheck, go.mod tidiness, and cgo-free builds for every platform
check: tidy cross
	@out=$$(gofmt -s -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt -s would change:"; echo "$$out"; exit 1; fi
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 $(GO) run $(STATICCHECK) ./...

cross:
	@for p in $(PLATFORMS); do \
		echo "build $$p"; \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) build ./... || exit 1; \
		out=$$(mktemp -d); \
		GOOS=$${p%/*} GOARCH=$${p#*/} CGO_ENABLED=0 $(GO) test -c -o $$out ./... >/dev/null || exit 1; \
		rm -rf $$out; \
	done

tidy:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

clean:
	rm -rf bin dist
