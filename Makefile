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

.PHONY: all run lib headers fixtures bench-fixtures llama golden golden-rerank bench dist build test test-unit test-race test-once test-fuzz test-contrib test-cpu-variants test-deps fuzz check cross tidy clean

all: build

## run: install the pinned library, build, and embed $(TEXT) with the default model
##      (with no model anywhere, `embellama pull` fetches all-MiniLM-L6-v2 first)
run: lib build
	@if [ -z "$(MODEL)" ] && EMBELLAMA_MODELS="$(EMBELLAMA_MODELS)" $(BIN) info | grep -q '^model  *none:'; then \
		echo "make run: no embedding model found; fetching the default one: $(BIN) pull"; $(BIN) pull; fi
	EMBELLAMA_MODELS="$(EMBELLAMA_MODELS)" $(BIN) embed $(if $(MODEL),-model $(MODEL)) "$(TEXT)"

## lib: install the pinned prebuilt llama.cpp libraries into lib/<goos>-<goarch>-<backend>
##      (BACKEND=native builds the pinned source for this CPU instead)
lib:
ifeq ($(BACKEND),native)
	scripts/install-native.sh
else
	scripts/install-lib.sh $(BACKEND) $(GOOS) $(GOARCH)
endif

## headers: check out the pinned llama.cpp source (headers for the layout test)
headers:
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

## dist: release archives (binary + native libraries + licences) for every installed platform, with SHA256SUMS
dist:
	scripts/dist.sh

## build: build the CLI without cgo
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/embellama

# Slow tests run once, not three times: the suite again in a child
# process on another library, the release archive, the commands of the
# documents (which run make run and make build themselves), every setting
# at its extremes in child processes, and every model converted into every
# weight format.
ONCE_TESTS := ^(TestVulkanBackend|TestCUDAFallback|TestDist|TestDocumentedCommands|TestExtremeSettings|TestQuantizeKeepsEmbeddings)$$

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
	CGO_ENABLED=0 $(GO) test -count=1 -timeout 30m -run '$(ONCE_TESTS)' -v ./embed ./cmd/embellama | grep -E '^(=== RUN|--- |PASS|FAIL|ok)|worst|backend in use|fallback|cases over' ; test $${PIPESTATUS[0]} -eq 0

test-fuzz:
	$(MAKE) fuzz FUZZTIME=10s

## test-cpu-variants: run the suite once per ggml CPU variant this machine can execute,
##                    the library restricted to that variant, and print variant -> pass/fail
test-cpu-variants: lib headers fixtures
	SKIP_TESTS='$(ONCE_TESTS)' scripts/test-cpu-variants.sh

## test-deps: the Vulkan and CUDA libraries, Mesa's lavapipe (a CPU Vulkan device), curl
##            (the README's server examples) and postgresql (examples/pgvector) when apt can install them
test-deps:
	scripts/install-lib.sh vulkan $(GOOS) $(GOARCH)
	scripts/install-lib.sh cuda $(GOOS) $(GOARCH)
	@pkgs=""; \
	ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || pkgs="mesa-vulkan-drivers libvulkan1"; \
	command -v curl >/dev/null || pkgs="$$pkgs curl"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || pkgs="$$pkgs postgresql"; \
	if [ -n "$$pkgs" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$pkgs) >/dev/null; \
		else echo "test-deps: install $$pkgs for the Vulkan test, the documents' commands and examples/pgvector"; fi; \
	fi

# The modules beside the root module: framework adapters, examples and the
# deployment manifests, each with its own go.mod (and a replace of the
# root), so their dependencies never reach the root's go.mod.
CONTRIB_MODULES := internal/contribtest contrib/langchaingo contrib/chromem contrib/eino contrib/genkit contrib/beam examples/pgvector deploy

## test-contrib: go vet and go test in each module of CONTRIB_MODULES (the PostgreSQL
##               example needs Debian's postgresql: make test-deps installs it)
test-contrib: lib
	@for m in $(CONTRIB_MODULES); do \
		echo "== $$m"; \
		(cd $$m && CGO_ENABLED=0 $(GO) vet ./... && CGO_ENABLED=0 $(GO) test -count=1 ./...) || exit 1; \
	done

FUZZTIME ?= 10m
## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./internal/gguf
	$(GO) test -run '^$$' -fuzz '^FuzzParseBackend$$' -fuzztime $(FUZZTIME) ./platform
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./server

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
