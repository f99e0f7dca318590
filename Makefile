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

.PHONY: all run lib lib-dist test-arm64 test-wine test-wine-noruntime headers fixtures bench-fixtures llama golden golden-rerank bench dist build test test-unit test-race test-once test-fuzz test-native-build test-contrib test-cpu-variants test-deps fuzz check cross tidy clean image image-context image-deps test-image

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
##      with `embellama lib install` (BACKEND=native: `embellama lib build` compiles the pinned
##      source for this CPU instead; minutes, once)
lib:
ifeq ($(BACKEND),native)
	CGO_ENABLED=0 $(GO) run ./cmd/embellama lib build -rounds 0
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

# Slow tests run only here, not in test-unit and test-race: the suite again in a child
# process on another library, the release archives, the CLI built and run
# from elsewhere, every pinned package installed, a Go program of another
# module installing its own library, the commands of the
# documents (which run make run and make build themselves), every setting
# at its extremes in child processes, and every model converted into every
# weight format. (TestRealBuild, the llama.cpp build, runs in test-native-build.)
ONCE_TESTS := ^(TestVulkanBackend|TestCUDAFallback|TestDist|TestDistLayout|TestLibraryFoundFromAnywhere|TestInstallPinned|TestInstallOutsideCheckout|TestDocumentedCommands|TestExtremeSettings|TestQuantizeKeepsEmbeddings|TestRealBuild)$$

## test: install the libraries, headers and fixtures, then run every test (without cgo,
##       with the race detector, on the Vulkan and CUDA libraries, and a fuzz smoke).
##       Every step runs even when an earlier one fails (make -k); the exit status
##       is non-zero when any failed, and make names each failed step at the end.
test: lib headers fixtures test-deps
	$(MAKE) -k test-unit test-race test-once test-native-build test-fuzz test-contrib test-image

test-unit:
	CGO_ENABLED=0 $(GO) test -shuffle=on -count=1 -timeout 20m -skip '$(ONCE_TESTS)' ./...

test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m -skip '$(ONCE_TESTS)' ./...

test-once:
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 30m -run '$(ONCE_TESTS)' -v ./embed ./cmd/embellama ./internal/libinstall ./install | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|worst|backend in use|fallback|cases over' ; test $${PIPESTATUS[0]} -eq 0

## test-fuzz: a smoke of every fuzz target, bounded by executions, not time: Go 1.26's
##            fuzz coordinator can fail a wall-clock -fuzztime with a bare "context
##            deadline exceeded" when a loaded machine delays a worker at the deadline
##            (golang/go#75804, fixed in Go 1.27; no crasher is involved). 10000 runs take
##            2-7 s per target on 2 cores.
test-fuzz:
	$(MAKE) fuzz FUZZTIME=10000x

## test-native-build: `embellama lib build` end to end: compile the pinned llama.cpp source
##                    for this CPU (the library targets only), load it and reproduce a
##                    fixture's golden vectors, F16 and Q8_0 (TestRealBuild; 209 s on 2 cores at load 4.5)
test-native-build: fixtures
	EMBELLAMA_TEST_NATIVE_BUILD=1 CGO_ENABLED=0 $(GO) test -count=1 -timeout 30m -run '^TestRealBuild$$' -v ./internal/nativebuild \
		| grep -vE '\[ *[0-9]+%\]'; test $${PIPESTATUS[0]} -eq 0

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
	command -v g++ >/dev/null || need g++ "embellama lib build's compiler (make test-native-build)"; \
	command -v cmake >/dev/null || need cmake "embellama lib build (make test-native-build)"; \
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

# A second prefix without the Visual C++ runtime: Wine's own msvcp140,
# vcruntime140 and vcruntime140_1 are deleted from its system32 and disabled,
# as on a Windows where the Redistributable was never installed.
WINEPREFIX_NOVC ?= $(CURDIR)/.cache/wine-novc

## test-wine-noruntime: under Wine without the Visual C++ runtime, opening the pinned windows/amd64
##                      DLL fails with an error naming the missing DLLs and the Redistributable
test-wine-noruntime: lib-dist
	CGO_ENABLED=0 GOOS=windows GOARCH=amd64 $(GO) test -c -o bin/loader-windows.test.exe ./loader
	WINEPREFIX=$(WINEPREFIX_NOVC) WINEDEBUG=-all $(WINE) cmd /c exit >/dev/null 2>&1 || true
	test -f $(WINEPREFIX_NOVC)/drive_c/windows/system32/bcryptprimitives.dll || \
		x86_64-w64-mingw32-gcc -shared -O2 -o $(WINEPREFIX_NOVC)/drive_c/windows/system32/bcryptprimitives.dll \
			scripts/wine/bcryptprimitives.c -lbcrypt
	rm -f $(addprefix $(WINEPREFIX_NOVC)/drive_c/windows/system32/,msvcp140.dll vcruntime140.dll vcruntime140_1.dll)
	cd loader && WINEPREFIX=$(WINEPREFIX_NOVC) WINEDEBUG=-all WINEDLLOVERRIDES='msvcp140,vcruntime140,vcruntime140_1=' \
		EMBELLAMA_TEST_NO_VCRUNTIME=Z:$(CURDIR)/lib/windows-amd64-cpu \
		$(WINE) ../bin/loader-windows.test.exe -test.run '^TestOpenMissingRuntime$$' -test.v

# The server image (deploy/Dockerfile), built and run with Debian's podman.
# No registry is reachable here: the base image is a minimal Debian 12
# rootfs made once with mmdebstrap into .cache/image/ and imported under a
# local name, and the Dockerfile only COPYs what image-context built on the
# host. Elsewhere the same Dockerfile builds with Docker FROM debian:12-slim
# (docs/deployment.md).
IMAGE        ?= embellama:latest
IMAGE_ARCH   ?= $(GOARCH)
IMAGE_CTX    := build/image
IMAGE_CACHE  := .cache/image
IMAGE_BASE   := localhost/embellama-base:bookworm-$(IMAGE_ARCH)
BASE_TAR     := $(IMAGE_CACHE)/bookworm-$(IMAGE_ARCH).tar
# The sandbox refuses crun's cgroup v2 handling and setrlimit: runc,
# cgroupfs and no default ulimits (../shared/CONTAINERS.md).
PODMAN       := CONTAINERS_CONF=$(CURDIR)/$(IMAGE_CACHE)/containers.conf podman --runtime runc --cgroup-manager=cgroupfs

## image-deps: podman, runc, mmdebstrap and uidmap from apt (root only), each announced
image-deps:
	@need() { echo "image-deps: apt $$1 ($$2)"; pkgs="$$pkgs $$1"; }; pkgs=""; \
	command -v podman >/dev/null || need podman "builds and runs the server image for make image and make test-image"; \
	command -v runc >/dev/null || need runc "the OCI runtime this sandbox accepts (crun's cgroup handling is refused)"; \
	command -v mmdebstrap >/dev/null || need mmdebstrap "makes the Debian 12 base rootfs without a registry"; \
	command -v newuidmap >/dev/null || need uidmap "the user namespaces podman maps the image's non-root user into"; \
	if [ -n "$$pkgs" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "image-deps: apt-get install$$pkgs"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs) >/dev/null; \
		else echo "image-deps: not root: install$$pkgs yourself"; exit 1; fi; \
	else echo "image-deps: apt packages already installed"; fi
	@mkdir -p $(IMAGE_CACHE) && printf '[containers]\ndefault_ulimits = []\n' >$(IMAGE_CACHE)/containers.conf

# The base rootfs, made once, as debian:12-slim is made (debuerreotype):
# Debian 12's minbase (glibc and libstdc++ for the library, bash for the
# health check, passwd for the user) without documentation, manual pages,
# locales, apt's lists, or perl beyond perl-base (only usrmerge needed it; the
# usr-is-merged that replaces it is what debian:12-slim has).
$(BASE_TAR):
	@echo "image: Debian 12 base rootfs, like debian:12-slim (no registry here; made once, kept in $(IMAGE_CACHE)/)"
	@mkdir -p $(IMAGE_CACHE)
	mmdebstrap --quiet --arch=$(IMAGE_ARCH) --variant=minbase --format=tar \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
		--customize-hook='chroot "$$1" env DEBIAN_FRONTEND=noninteractive apt-get purge -qq --auto-remove usrmerge perl libperl5.36 perl-modules-5.36 >/dev/null 2>&1' \
		--customize-hook='rm -rf "$$1"/var/cache/apt/*.bin "$$1"/var/lib/apt/lists/*' \
		bookworm $@.tmp
	mv $@.tmp $@

## image-context: what deploy/Dockerfile COPYs, in build/image: the CGO_ENABLED=0 linux binary
##                and the pinned linux CPU library (sha256-checked by embellama lib install)
image-context:
	rm -rf $(IMAGE_CTX) && mkdir -p $(IMAGE_CTX)/bin
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags="-s -w" -o $(IMAGE_CTX)/bin/embellama ./cmd/embellama
	$(LIBINSTALL) -dir $(IMAGE_CTX)/lib -os linux -arch $(IMAGE_ARCH) -backend cpu

## image: build the server image $(IMAGE) with podman, FROM a local Debian 12 base
image: image-deps $(BASE_TAR) image-context
	@$(PODMAN) image exists $(IMAGE_BASE) || { echo "image: importing $(BASE_TAR) as $(IMAGE_BASE)"; $(PODMAN) import -q $(BASE_TAR) $(IMAGE_BASE); }
	$(PODMAN) build -q --format docker --isolation chroot --build-arg BASE=$(IMAGE_BASE) -f deploy/Dockerfile -t $(IMAGE) $(IMAGE_CTX)
	@$(PODMAN) image inspect --format 'image: $(IMAGE) {{.Id}}, {{.Size}} bytes' $(IMAGE)

## test-image: run the image and check it from the host, on 127.0.0.1 only (deploy/image_test.go)
test-image: image
	cd deploy && CGO_ENABLED=0 EMBELLAMA_TEST_IMAGE=$(IMAGE) CONTAINERS_CONF=$(CURDIR)/$(IMAGE_CACHE)/containers.conf \
		$(GO) test -count=1 -timeout 15m -run '^TestImage' -v ./...

# The modules beside the root module: framework adapters, examples and the
# deployment manifests, each with its own go.mod (and a replace of the
# root), so their dependencies never reach the root's go.mod.
CONTRIB_MODULES := contrib/langchaingo contrib/chromem contrib/eino contrib/genkit contrib/beam examples/pgvector deploy server/clienttest

## test-contrib: go vet and go test in each module of CONTRIB_MODULES (the PostgreSQL
##               example needs Debian's postgresql: make test-deps installs it;
##               contrib/beam's TestPrism runs Beam's prism runner over 10,000 texts in a
##               private network namespace: util-linux's unshare and user namespaces, 6-9 s)
test-contrib: lib
	@failed=""; for m in $(CONTRIB_MODULES); do \
		echo "== $$m"; \
		(cd $$m && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test -count=1 ./...) || failed="$$failed $$m"; \
	done; \
	if [ -n "$$failed" ]; then echo "test-contrib: failed:$$failed"; exit 1; fi

FUZZTIME ?= 10m
## fuzz: run every fuzz target for FUZZTIME each, a duration (10m) or a count of runs (10000x);
##       the tokenizer targets load the library and fixtures
fuzz: lib fixtures
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./internal/gguf
	$(GO) test -run '^$$' -fuzz '^FuzzParseBackend$$' -fuzztime $(FUZZTIME) ./platform
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./server
	$(GO) test -run '^$$' -fuzz '^FuzzStrict$$' -fuzztime $(FUZZTIME) ./internal/jsonread
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
