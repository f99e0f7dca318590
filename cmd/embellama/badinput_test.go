package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/llama"
	"github.com/embellama/embellama/loader"
	"github.com/embellama/embellama/platform"
	"github.com/embellama/embellama/server"
)

// badEnv is what every row of the bad-input table drives: the library
// API, the CLI, and the HTTP server, all on bert-mean.
type badEnv struct {
	t      *testing.T
	lib    string
	model  string
	engine *embed.Engine
	srv    *httptest.Server
	want   []float32 // "hello world", to check the engine after each row
}

func newBadEnv(t *testing.T) *badEnv {
	env := &badEnv{t: t, lib: testenv.Library(t), model: testenv.Model(t, "bert-mean.gguf")}
	e, err := embed.New(context.Background(), embed.Config{EngineConfig: embed.EngineConfig{Library: env.lib}, ModelConfig: embed.ModelConfig{ModelPath: env.model, MaxQueue: 200_000}})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	env.engine = e
	s, err := server.New(server.Options{Engine: e, MaxInputs: 4096})
	require.NoError(t, err)
	env.srv = httptest.NewServer(s)
	t.Cleanup(env.srv.Close)
	env.want, err = e.Embed(context.Background(), "", "hello world")
	require.NoError(t, err)
	return env
}

// post sends an embeddings request and returns the status and error body.
func (env *badEnv) post(body any) (int, string) {
	b, _ := json.Marshal(body)
	resp, err := http.Post(env.srv.URL+"/v1/embeddings", "application/json", strings.NewReader(string(b)))
	require.NoError(env.t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// cli runs the CLI on bert-mean with extra arguments and standard input.
func (env *badEnv) cli(stdin string, args ...string) (int, string) {
	code, _, stderr := runCLI(env.t, stdin, append([]string{"embed", "-lib", env.lib}, args...)...)
	return code, stderr
}

// stillWorks checks that the shared engine still embeds correctly.
func (env *badEnv) stillWorks(t *testing.T) {
	v, err := env.engine.Embed(context.Background(), "", "hello world")
	require.NoError(t, err, "the engine still embeds after the row")
	assert.Equal(t, env.want, v)
}

// TestBadInput is the table of the reliability issue, one row per item of
// its list, each driven through the library API, the CLI and the server
// where the item applies to it. Every failure is a typed error (errors.Is)
// or its HTTP status, and the engine still embeds correctly afterwards.
func TestBadInput(t *testing.T) {
	env := newBadEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	modelBytes, err := os.ReadFile(env.model)
	require.NoError(t, err)

	rows := []struct {
		name   string
		api    func(t *testing.T)
		cli    func(t *testing.T)
		server func(t *testing.T)
	}{
		{"empty string",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", "")
				assert.ErrorIs(t, err, embed.ErrEmptyInput)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", env.model, "")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "empty input")
			},
			func(t *testing.T) { code, _ := env.post(map[string]any{"input": ""}); assert.Equal(t, 400, code) }},
		{"whitespace only",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", " \t\r\n ")
				assert.ErrorIs(t, err, embed.ErrEmptyInput)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", env.model, "   ")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "empty input")
			},
			func(t *testing.T) { code, _ := env.post(map[string]any{"input": "  \n"}); assert.Equal(t, 400, code) }},
		{"invalid UTF-8",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", "ok \xff\xfe")
				assert.ErrorIs(t, err, embed.ErrInvalidUTF8)
			},
			func(t *testing.T) {
				code, out := env.cli("ok \xff\xfe\n", "-model", env.model)
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "UTF-8")
			},
			func(t *testing.T) {
				// Go's json.Marshal sends U+FFFD here; the raw bytes are refused.
				code, _ := env.post(map[string]any{"input": "ok \xff"})
				assert.Equal(t, 200, code, "U+FFFD is a character")
				resp, err := http.Post(env.srv.URL+"/v1/embeddings", "application/json", strings.NewReader("{\"input\":\"ok \xff\"}"))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 400, resp.StatusCode, "invalid UTF-8 is not silently replaced")
			}},
		{"NUL bytes",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", "a\x00b")
				assert.ErrorIs(t, err, embed.ErrNULByte)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", env.model, "a\x00b")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "NUL")
			},
			func(t *testing.T) {
				code, body := env.post(map[string]any{"input": "a\u0000b"})
				assert.Equal(t, 400, code)
				assert.Contains(t, body, "NUL")
			}},
		{"a text of 1 MB",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", strings.Repeat("word ", 200_000))
				assert.ErrorIs(t, err, embed.ErrTooLong)
				v, err := env.engine.Embed(ctx, "", strings.Repeat("word ", 200_000), embed.WithTruncation(embed.TruncateEnd))
				assert.NoError(t, err, "and truncation makes it fit")
				assert.Len(t, v, 128)
			},
			func(t *testing.T) {
				code, out := env.cli(strings.Repeat("word ", 200_000)+"\n", "-model", env.model)
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "too long")
			},
			func(t *testing.T) {
				code, body := env.post(map[string]any{"input": strings.Repeat("word ", 200_000)})
				assert.Equal(t, 400, code)
				assert.Contains(t, body, "context_length_exceeded")
			}},
		{"more tokens than the context",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "", strings.Repeat("hello ", 511))
				var ie *embed.InputError
				require.ErrorAs(t, err, &ie)
				assert.ErrorIs(t, err, embed.ErrTooLong)
				assert.Equal(t, 513, ie.Tokens)
				assert.Equal(t, 512, ie.Limit)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", env.model, strings.Repeat("hello ", 511))
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "513 tokens, limit 512")
			},
			func(t *testing.T) {
				code, body := env.post(map[string]any{"input": strings.Repeat("hello ", 511)})
				assert.Equal(t, 400, code)
				assert.Contains(t, body, "513 tokens")
			}},
		{"an empty batch",
			func(t *testing.T) {
				_, err := env.engine.EmbedBatch(ctx, "", nil)
				assert.ErrorIs(t, err, embed.ErrNoInput)
			},
			func(t *testing.T) {
				code, out := env.cli("\n\n", "-model", env.model)
				assert.Equal(t, exitUsage, code)
				assert.Contains(t, out, "no text")
			},
			func(t *testing.T) {
				code, _ := env.post(map[string]any{"input": []string{}})
				assert.Equal(t, 400, code)
			}},
		{"100k inputs in one call",
			func(t *testing.T) {
				texts := make([]string, 100_000)
				for i := range texts {
					texts[i] = fmt.Sprintf("text %d", i%97)
				}
				r, err := env.engine.EmbedBatch(ctx, "", texts)
				require.NoError(t, err, "no cap in the library: split by token budget")
				require.NoError(t, r.Err())
				assert.Len(t, r.Vectors, 100_000)
				assert.Equal(t, r.Vectors[0], r.Vectors[97])
			},
			nil, // the CLI reads such input from a file: no different from the library
			func(t *testing.T) {
				texts := make([]string, 100_000)
				for i := range texts {
					texts[i] = "x"
				}
				code, body := env.post(map[string]any{"input": texts})
				assert.Equal(t, 413, code, "the server's configurable cap")
				assert.Contains(t, body, "at most 4096")
			}},
		{"unknown model name",
			func(t *testing.T) {
				_, err := env.engine.Embed(ctx, "gpt-4", "x")
				assert.ErrorIs(t, err, embed.ErrUnknownModel)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", filepath.Join(dir, "no-such.gguf"), "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "model file not found")
			},
			func(t *testing.T) {
				code, _ := env.post(map[string]any{"input": "x", "model": "gpt-4"})
				assert.Equal(t, 404, code)
			}},
		{"model unloaded mid-request",
			func(t *testing.T) {
				require.NoError(t, env.engine.LoadModel(ctx, "victim", embed.ModelConfig{ModelPath: env.model}))
				texts := make([]string, 20_000)
				for i := range texts {
					texts[i] = fmt.Sprintf("document %d", i)
				}
				errc := make(chan error, 1)
				go func() { _, err := env.engine.EmbedBatch(ctx, "victim", texts); errc <- err }()
				time.Sleep(100 * time.Millisecond)
				require.NoError(t, env.engine.UnloadModel("victim"))
				assert.ErrorIs(t, <-errc, embed.ErrModelUnloaded)
			},
			nil, // a CLI run loads its model for itself
			func(t *testing.T) {
				require.NoError(t, env.engine.LoadModel(ctx, "victim2", embed.ModelConfig{ModelPath: env.model}))
				texts := make([]string, 4000)
				for i := range texts {
					texts[i] = fmt.Sprintf("document %d", i)
				}
				codec := make(chan int, 1)
				go func() { code, _ := env.post(map[string]any{"input": texts, "model": "victim2"}); codec <- code }()
				time.Sleep(100 * time.Millisecond)
				require.NoError(t, env.engine.UnloadModel("victim2"))
				assert.Equal(t, 503, <-codec, "a model unloaded under a request is a server condition")
			}},
		{"truncated GGUF (cut at 10 offsets)",
			func(t *testing.T) {
				f, err := gguf.Open(env.model)
				require.NoError(t, err)
				for k, off := range cutOffsets(f, len(modelBytes)) {
					p := filepath.Join(dir, fmt.Sprintf("cut%d.gguf", k))
					require.NoError(t, os.WriteFile(p, modelBytes[:off], 0o644))
					err := env.engine.LoadModel(ctx, fmt.Sprintf("cut%d", k), embed.ModelConfig{ModelPath: p})
					assert.ErrorIs(t, err, embed.ErrModelLoad, "cut at %d", off)
					var fe *gguf.FormatError
					assert.ErrorAs(t, err, &fe, "cut at %d", off)
				}
			},
			func(t *testing.T) {
				p := filepath.Join(dir, "cut-cli.gguf")
				require.NoError(t, os.WriteFile(p, modelBytes[:len(modelBytes)/2], 0o644))
				code, out := env.cli("", "-model", p, "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "tensor data beyond the end of the file")
			},
			nil}, // no request field becomes a path: see "unknown model name" and TestNoFilePathsFromRequests
		{"random bytes named .gguf",
			func(t *testing.T) {
				p := filepath.Join(dir, "random.gguf")
				b := make([]byte, 1<<16)
				for i := range b {
					b[i] = byte(rand.IntN(256))
				}
				require.NoError(t, os.WriteFile(p, b, 0o644))
				err := env.engine.LoadModel(ctx, "random", embed.ModelConfig{ModelPath: p})
				assert.ErrorIs(t, err, embed.ErrModelLoad)
				assert.ErrorIs(t, err, gguf.ErrMagic)
			},
			func(t *testing.T) {
				p := filepath.Join(dir, "random-cli.gguf")
				require.NoError(t, os.WriteFile(p, []byte("not a model at all"), 0o644))
				code, out := env.cli("", "-model", p, "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "bad magic")
			},
			nil},
		{"a GGUF of a non-embedding architecture",
			func(t *testing.T) {
				err := env.engine.LoadModel(ctx, "stories", embed.ModelConfig{ModelPath: testenv.Model(t, "stories260K.gguf")})
				assert.ErrorIs(t, err, embed.ErrNotEmbeddingModel)
			},
			func(t *testing.T) {
				code, out := env.cli("", "-model", testenv.Model(t, "stories260K.gguf"), "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, out, "declares no pooling")
			},
			nil},
		{"a library of the wrong version",
			func(t *testing.T) {
				_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.StubLibrary(t, "0.4.2", llama.Symbols())}})
				assert.ErrorIs(t, err, embed.ErrLibrary)
				assert.ErrorIs(t, err, llama.ErrVersion)
			},
			func(t *testing.T) {
				code, _, stderr := runCLI(t, "", "embed", "-lib", testenv.StubLibrary(t, "0.4.2", llama.Symbols()), "-model", env.model, "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, stderr, "version mismatch")
			},
			nil},
		{"a library missing symbols",
			func(t *testing.T) {
				_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: testenv.StubLibrary(t, llama.PinnedVersion, llama.Symbols()[:10])}})
				assert.ErrorIs(t, err, embed.ErrLibrary)
				assert.ErrorIs(t, err, loader.ErrMissingSymbol)
				assert.Contains(t, err.Error(), "llama_decode")
			},
			func(t *testing.T) {
				code, _, stderr := runCLI(t, "", "embed", "-lib", testenv.StubLibrary(t, llama.PinnedVersion, nil), "-model", env.model, "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, stderr, "llama_tokenize")
			},
			nil},
		{"a library path that is a directory",
			func(t *testing.T) {
				d := t.TempDir()
				require.NoError(t, os.Mkdir(filepath.Join(d, "libllama.so"), 0o755))
				// A directory is searched as one (loader.Open itself refuses a
				// directory with loader.ErrNotLoadable: see the loader tests).
				_, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: filepath.Join(d, "libllama.so")}})
				assert.ErrorIs(t, err, embed.ErrLibrary)
				assert.ErrorIs(t, err, platform.ErrLibraryNotFound)
				_, err = loader.Open(filepath.Join(d, "libllama.so"))
				assert.ErrorIs(t, err, loader.ErrNotLoadable)
			},
			func(t *testing.T) {
				d := t.TempDir()
				code, _, stderr := runCLI(t, "", "embed", "-lib", d, "-model", env.model, "x")
				assert.Equal(t, exitFailure, code)
				assert.Contains(t, stderr, "tried")
			},
			nil},
		{"cancelled and deadline-exceeded contexts",
			func(t *testing.T) {
				c, cancel := context.WithCancel(ctx)
				cancel()
				_, err := env.engine.Embed(c, "", "x")
				assert.ErrorIs(t, err, context.Canceled)
				d, cancel2 := context.WithTimeout(ctx, time.Nanosecond)
				defer cancel2()
				time.Sleep(time.Millisecond)
				_, err = env.engine.EmbedBatch(d, "", []string{"x"})
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			},
			nil, // the CLI cancels on SIGINT, through the same context
			func(t *testing.T) {
				// A client that gives up: the request's context is canceled.
				c, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				defer cancel()
				texts := make([]string, 3000)
				for i := range texts {
					texts[i] = fmt.Sprintf("long document %d %s", i, strings.Repeat("words ", 20))
				}
				b, _ := json.Marshal(map[string]any{"input": texts})
				req, _ := http.NewRequestWithContext(c, http.MethodPost, env.srv.URL+"/v1/embeddings", strings.NewReader(string(b)))
				req.Header.Set("Content-Type", "application/json")
				_, err := http.DefaultClient.Do(req)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			}},
		{"use after Close",
			func(t *testing.T) {
				e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: env.lib}, ModelConfig: embed.ModelConfig{ModelPath: env.model}})
				require.NoError(t, err)
				require.NoError(t, e.Close())
				_, err = e.Embed(ctx, "", "x")
				assert.ErrorIs(t, err, embed.ErrClosed)
				assert.ErrorIs(t, e.UnloadModel("default"), embed.ErrClosed)
			},
			nil,
			func(t *testing.T) {
				e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: env.lib}, ModelConfig: embed.ModelConfig{ModelPath: env.model}})
				require.NoError(t, err)
				s, err := server.New(server.Options{Engine: e})
				require.NoError(t, err)
				hs := httptest.NewServer(s)
				defer hs.Close()
				require.NoError(t, e.Close())
				resp, err := http.Post(hs.URL+"/v1/embeddings", "application/json", strings.NewReader(`{"input":"x"}`))
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, 503, resp.StatusCode)
			}},
		{"concurrent Close during Embed",
			func(t *testing.T) {
				e, err := embed.New(ctx, embed.Config{EngineConfig: embed.EngineConfig{Library: env.lib}, ModelConfig: embed.ModelConfig{ModelPath: env.model}})
				require.NoError(t, err)
				var wg sync.WaitGroup
				errs := make([]error, 16)
				for i := range errs {
					wg.Go(func() {
						texts := make([]string, 200)
						for k := range texts {
							texts[k] = fmt.Sprintf("text %d %d", i, k)
						}
						_, errs[i] = e.EmbedBatch(ctx, "", texts)
					})
				}
				time.Sleep(20 * time.Millisecond)
				require.NoError(t, e.Close())
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						assert.True(t, errors.Is(err, embed.ErrClosed) || errors.Is(err, embed.ErrModelUnloaded), "typed: %v", err)
					}
				}
			},
			nil, nil},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			for _, via := range []struct {
				name string
				f    func(*testing.T)
			}{{"api", row.api}, {"cli", row.cli}, {"server", row.server}} {
				if via.f == nil {
					continue
				}
				t.Run(via.name, func(t *testing.T) {
					require.NotPanics(t, func() { via.f(t) })
					env.stillWorks(t)
				})
			}
		})
	}
}

// cutOffsets returns 10 offsets at which to cut a GGUF file: in the
// magic, the header counts, the metadata, the tensor table, and the data.
func cutOffsets(f *gguf.File, size int) []int {
	data := int(f.DataOffset)
	return []int{2, 6, 12, 20, 30, 1000, data / 2, data - 10, data + 100, size - 1}
}

// TestNoFilePathsFromRequests: the server never opens a path a request
// names, and its errors do not show the server's paths.
func TestNoFilePathsFromRequests(t *testing.T) {
	env := newBadEnv(t)
	// A model file path in the request is only a name: it is never opened.
	code, _ := env.post(map[string]any{"input": "x", "model": env.model})
	assert.Equal(t, 404, code)
	for _, model := range []string{"../../etc/passwd", "/dev/zero", "file:///etc/passwd", "default/../x"} {
		code, body := env.post(map[string]any{"input": "x", "model": model})
		assert.Equal(t, 404, code, model)
		assert.NotContains(t, body, filepath.Dir(env.model), "no server path in %s", body)
	}
	for _, body := range []any{map[string]any{"input": ""}, map[string]any{"input": strings.Repeat("hello ", 600)}, "junk"} {
		_, out := env.post(body)
		assert.NotContains(t, out, filepath.Dir(env.model), "no server path in %s", out)
	}
}
