package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// fakeEngine is a server.Engine without a model: each call returns what
// embed returns, so that the status mapping is tested in milliseconds.
type fakeEngine struct {
	mu        sync.Mutex
	models    []string
	calls     []string // the model names the server asked for
	embed     func(ctx context.Context, n int) (*embed.Result, error)
	observers []func(embed.BatchInfo)
}

func newFake(models ...string) *fakeEngine {
	return &fakeEngine{models: models, embed: func(_ context.Context, n int) (*embed.Result, error) {
		r := &embed.Result{Vectors: make([][]float32, n), Errors: make([]error, n), Tokens: make([]int, n)}
		for i := range r.Vectors {
			r.Vectors[i], r.Tokens[i] = []float32{1, 0}, 3
		}
		return r, nil
	}}
}

func (f *fakeEngine) Models() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.models...)
	sort.Strings(out)
	return out
}

func (f *fakeEngine) ModelInfo(name string) (embed.ModelInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if name == "" { // as embed.Engine: the only model, or the one named "default"
		name = embed.DefaultModelName
		if len(f.models) == 1 {
			name = f.models[0]
		}
	}
	for _, m := range f.models {
		if m == name {
			return embed.ModelInfo{Name: m, Dim: 2, ContextSize: 512}, nil
		}
	}
	return embed.ModelInfo{}, fmt.Errorf("%w: %q", embed.ErrUnknownModel, name)
}

func (f *fakeEngine) Stats(string) (embed.Stats, error) { return embed.Stats{}, nil }
func (f *fakeEngine) CountTokens(_, text string) (int, error) {
	return len(strings.Fields(text)) + 2, nil
}

func (f *fakeEngine) EmbedBatch(ctx context.Context, name string, texts []string, _ ...embed.Option) (*embed.Result, error) {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	f.mu.Unlock()
	if _, err := f.ModelInfo(name); err != nil && len(f.Models()) > 0 {
		return nil, err
	}
	return f.embed(ctx, len(texts))
}

func (f *fakeEngine) EmbedBatchTokens(ctx context.Context, name string, ids [][]int32, _ ...embed.Option) (*embed.Result, error) {
	return f.EmbedBatch(ctx, name, make([]string, len(ids)))
}

func (f *fakeEngine) ObserveBatches(fn func(embed.BatchInfo)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.observers = append(f.observers, fn)
	return func() {}
}

func serveFake(t *testing.T, f *fakeEngine, opts server.Options) *httptest.Server {
	t.Helper()
	opts.Engine = f
	s, err := server.New(opts)
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return hs
}

func inputErr(err error) func(context.Context, int) (*embed.Result, error) {
	return func(_ context.Context, n int) (*embed.Result, error) {
		r := &embed.Result{Vectors: make([][]float32, n), Errors: make([]error, n), Tokens: make([]int, n)}
		r.Errors[0] = &embed.InputError{Index: 0, Tokens: 600, Limit: 512, Err: err}
		return r, nil
	}
}

// TestStatusMapping: each engine error answers the status that says whose
// fault it is; server conditions carry Retry-After (issue 17.6).
func TestStatusMapping(t *testing.T) {
	callErr := func(err error) func(context.Context, int) (*embed.Result, error) {
		return func(context.Context, int) (*embed.Result, error) { return nil, err }
	}
	for _, tt := range []struct {
		name   string
		embed  func(context.Context, int) (*embed.Result, error)
		status int
		code   string
		retry  bool
	}{
		{"unknown model", callErr(fmt.Errorf("%w: %q", embed.ErrUnknownModel, "x")), 404, "model_not_found", false},
		{"model unloaded under the request", callErr(embed.ErrModelUnloaded), 503, "model_unloaded", true},
		{"engine closed", callErr(embed.ErrClosed), 503, "model_unloaded", true},
		{"queue full", callErr(embed.ErrOverloaded), 429, "overloaded", true},
		{"timeout", callErr(context.DeadlineExceeded), 503, "timeout", true},
		{"invalid option", callErr(fmt.Errorf("%w: dimensions 999 (model has 2)", embed.ErrInvalidOption)), 400, "", false},
		{"internal", callErr(errors.New("boom")), 500, "internal_error", true},
		{"input too long", inputErr(embed.ErrTooLong), 400, "context_length_exceeded", false},
		{"input empty", inputErr(embed.ErrEmptyInput), 400, "", false},
		{"input's model unloaded", inputErr(embed.ErrModelUnloaded), 503, "model_unloaded", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake("default")
			f.embed = tt.embed
			hs := serveFake(t, f, server.Options{})
			status, e, h, body := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
			assert.Equal(t, tt.status, status, body)
			if tt.code != "" {
				require.NotNil(t, e.Error.Code, body)
				assert.Equal(t, tt.code, *e.Error.Code)
			}
			assert.Equal(t, tt.retry, h.Get("Retry-After") != "", "Retry-After")
			assert.NotContains(t, e.Error.Message, "embed:")
		})
	}
}

// TestLoadingIs503: requests while the engine has no model yet, or for a
// model named in Options.Models that is still loading, are 503, and
// /health follows the engine without any call (issues 17.6, 18.8).
func TestLoadingIs503(t *testing.T) {
	f := newFake()
	hs := serveFake(t, f, server.Options{Models: []string{"default", "big"}})
	health := func() int {
		status, _, _, _ := do(t, http.MethodGet, hs.URL+"/health", "")
		return status
	}
	status, e, h, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
	assert.Equal(t, 503, status)
	assert.Equal(t, "model_loading", *e.Error.Code)
	assert.NotEmpty(t, h.Get("Retry-After"))
	assert.Equal(t, 503, health())

	f.mu.Lock()
	f.models = []string{"default"}
	f.mu.Unlock()
	status, _, _, _ = do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
	assert.Equal(t, 200, status, "the default model is served while big loads")
	status, _, _, _ = do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x","model":"big"}`, "Content-Type", jsonType)
	assert.Equal(t, 503, status)
	status, _, _, _ = do(t, http.MethodGet, hs.URL+"/v1/models/big", "")
	assert.Equal(t, 503, status)
	assert.Equal(t, 503, health(), "not ready until every expected model is loaded")

	f.mu.Lock()
	f.models = []string{"default", "big"}
	f.mu.Unlock()
	assert.Equal(t, 200, health())
	status, _, _, _ = do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x","model":"nope"}`, "Content-Type", jsonType)
	assert.Equal(t, 404, status, "a name nobody loads is still a 404")

	// Without Options.Models the server is ready once the engine has a model.
	g := newFake()
	gs := serveFake(t, g, server.Options{})
	status, _, _, _ = do(t, http.MethodGet, gs.URL+"/health", "")
	assert.Equal(t, 503, status)
	g.mu.Lock()
	g.models = []string{"m"}
	g.mu.Unlock()
	status, _, _, _ = do(t, http.MethodGet, gs.URL+"/health", "")
	assert.Equal(t, 200, status)
}

// TestShutdownPastGrace: a request still running when the grace period
// ends, whose model the closing engine then unloads, answers 503 with
// Retry-After, not 404 (issue 17.6).
func TestShutdownPastGrace(t *testing.T) {
	f := newFake("default")
	entered, release := make(chan struct{}), make(chan struct{})
	f.embed = func(context.Context, int) (*embed.Result, error) {
		close(entered)
		<-release // the engine closes under the request
		return nil, embed.ErrModelUnloaded
	}
	s, err := server.New(server.Options{Engine: f})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	addrc, done := make(chan net.Addr, 1), make(chan error, 1)
	go func() {
		done <- s.ListenAndServe(ctx, "127.0.0.1:0", 50*time.Millisecond, func(a net.Addr) { addrc <- a })
	}()
	url := "http://" + (<-addrc).String() + "/v1/embeddings"
	type answer struct {
		status int
		code   string
		retry  string
	}
	got := make(chan answer, 1)
	go func() {
		status, e, h, _ := do(t, http.MethodPost, url, `{"input":"x"}`, "Content-Type", jsonType)
		a := answer{status: status, retry: h.Get("Retry-After")}
		if e.Error.Code != nil {
			a.code = *e.Error.Code
		}
		got <- a
	}()
	<-entered
	cancel()
	assert.ErrorIs(t, <-done, context.DeadlineExceeded, "the grace period ran out")
	close(release)
	a := <-got
	assert.Equal(t, 503, a.status)
	assert.Equal(t, "shutting_down", a.code)
	assert.Equal(t, "1", a.retry)
}

// TestAliases: a name clients hard-code answers as the model it stands
// for, keeps its name in the answer, and is listed (issue 18.7).
func TestAliases(t *testing.T) {
	f := newFake("default", "qwen")
	hs := serveFake(t, f, server.Options{Aliases: map[string]string{"text-embedding-3-small": "default"}})
	status, _, _, body := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x","model":"text-embedding-3-small"}`, "Content-Type", jsonType)
	require.Equal(t, 200, status, body)
	assert.Contains(t, body, `"model":"text-embedding-3-small"`)
	assert.Equal(t, []string{"default"}, f.calls, "the engine is asked for the model the alias names")
	status, _, _, body = do(t, http.MethodGet, hs.URL+"/v1/models/text-embedding-3-small", "")
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"alias_of":"default"`)
	_, _, _, body = do(t, http.MethodGet, hs.URL+"/v1/models", "")
	assert.Contains(t, body, `"id":"text-embedding-3-small"`)
	status, e, _, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x","model":"gpt-4"}`, "Content-Type", jsonType)
	assert.Equal(t, 404, status)
	assert.Contains(t, e.Error.Message, "default, qwen, text-embedding-3-small")

	for _, bad := range []map[string]string{{"a": ""}, {"": "default"}, {"a": "b", "b": "default"}} {
		_, err := server.New(server.Options{Engine: f, Aliases: bad})
		assert.Error(t, err, "%v", bad)
	}
}

// TestPendingBudget: bodies being handled at once share a byte budget; a
// request whose body does not fit is refused with 429 and Retry-After as
// soon as its bytes cross what is free (issues 17.2, 26.4).
func TestPendingBudget(t *testing.T) {
	f := newFake("default")
	entered, release := make(chan struct{}, 1), make(chan struct{})
	base := f.embed
	f.embed = func(ctx context.Context, n int) (*embed.Result, error) {
		if n == 2 {
			entered <- struct{}{}
			<-release
		}
		return base(ctx, n)
	}
	hs := serveFake(t, f, server.Options{MaxBodyBytes: 300 << 10, MaxPendingBytes: 400 << 10})
	big := `{"input":["` + strings.Repeat("a", 200<<10) + `","b"]}`
	first := make(chan int, 1)
	go func() {
		status, _, _, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", big, "Content-Type", jsonType)
		first <- status
	}()
	<-entered
	status, e, h, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", big, "Content-Type", jsonType)
	assert.Equal(t, 429, status, "the second large body does not fit beside the first")
	assert.Equal(t, "overloaded", *e.Error.Code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	status, _, _, _ = do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"small"}`, "Content-Type", jsonType)
	assert.Equal(t, 200, status, "a small one does")
	close(release)
	assert.Equal(t, 200, <-first)
	release = make(chan struct{})
	close(release)
	status, _, _, _ = do(t, http.MethodPost, hs.URL+"/v1/embeddings", big, "Content-Type", jsonType)
	assert.Equal(t, 200, status, "the budget is returned")
}

// TestObserversAttached: the server attaches its batch metrics to an
// engine that can report batches, with no closure to wire (issue 18.8).
func TestObserversAttached(t *testing.T) {
	f := newFake("default")
	hs := serveFake(t, f, server.Options{})
	require.Len(t, f.observers, 1)
	f.observers[0](embed.BatchInfo{Model: "default", Sequences: 3, Tokens: 50, Budget: 100})
	_, _, _, body := do(t, http.MethodGet, hs.URL+"/metrics", "")
	assert.Contains(t, body, "embellama_batch_sequences_count 1")
	assert.Contains(t, body, "embellama_batch_fill_ratio_sum 0.5")
}

// TestDefaultModelUnderAnyName: the first of Options.Models (serve's
// -model, under $EMBELLAMA_MODEL_NAME) or Options.DefaultModel serves
// the requests that name no model, whatever its name and however many
// other models are loaded, on every route (review round 3, R13: with
// the model named "mine", loading a second made model-less requests
// 404 "none is the default").
func TestDefaultModelUnderAnyName(t *testing.T) {
	for _, tt := range []struct {
		name       string
		opts       server.Options
		want, says string // the model asked of the engine; the one the answer names (an alias stays an alias)
	}{
		{"first of Models", server.Options{Models: []string{"mine", "br"}}, "mine", "mine"},
		{"DefaultModel", server.Options{Models: []string{"mine", "br"}, DefaultModel: "br"}, "br", "br"},
		{"DefaultModel an alias", server.Options{DefaultModel: "small", Aliases: map[string]string{"small": "br"}}, "br", "small"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake("mine", "br")
			hs := serveFake(t, f, tt.opts)
			status, _, _, body := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
			require.Equal(t, 200, status, body)
			assert.Equal(t, []string{tt.want}, f.calls, "the engine is asked for the default by name")
			assert.Contains(t, body, `"model":"`+tt.says+`"`)
		})
	}
	f := newFake("mine")
	hs := serveFake(t, f, server.Options{Models: []string{"mine", "br"}})
	status, _, _, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
	assert.Equal(t, 200, status, "the default is served while the other loads")
	f.mu.Lock()
	f.models = []string{"br"} // the default unloaded
	f.mu.Unlock()
	status, e, _, _ := do(t, http.MethodPost, hs.URL+"/v1/embeddings", `{"input":"x"}`, "Content-Type", jsonType)
	assert.Equal(t, 503, status, "the default model is expected, not unknown")
	require.NotNil(t, e.Error.Code)
	assert.Equal(t, "model_loading", *e.Error.Code)
}
