package server

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/embellama/embellama/embed"
)

// TEIEmbedRequest is the body of POST /embed, text-embeddings-
// inference's embeddings route. Model is an extension (TEI serves one
// model): absent, the server's default.
type TEIEmbedRequest struct {
	// Inputs is a string, an array of strings, an array of token ids or
	// an array of arrays of token ids.
	Inputs json.RawMessage `json:"inputs"`
	// Truncate cuts an input longer than the context instead of failing.
	Truncate *bool `json:"truncate,omitempty"`
	// TruncationDirection is "Right" (drop the end, the default) or
	// "Left" (drop the start).
	TruncationDirection *string `json:"truncation_direction,omitempty"`
	// Normalize false returns the pooled vectors unnormalized.
	Normalize *bool `json:"normalize,omitempty"`
	// PromptName selects a prompt of the model; absent, its default.
	PromptName *string `json:"prompt_name,omitempty"`
	// Dimensions keeps the first N components, renormalized.
	Dimensions *int `json:"dimensions,omitempty"`
	// Model names a loaded model (an extension).
	Model string `json:"model,omitempty"`
}

// TEIError is text-embeddings-inference's error body.
type TEIError struct {
	Error     string `json:"error"`
	ErrorType string `json:"error_type"` // Validation, Overloaded, Unhealthy, Backend
}

// teiError is TEI's error shape: its error types by status.
func teiError(e *APIError) any {
	typ := "Backend"
	switch {
	case e.status == http.StatusTooManyRequests:
		typ = "Overloaded"
	case e.status == http.StatusServiceUnavailable:
		typ = "Unhealthy"
	case e.status < 500:
		typ = "Validation"
	}
	return TEIError{Error: e.Message, ErrorType: typ}
}

// teiEmbedCall is a decoded POST /embed.
type teiEmbedCall struct {
	req TEIEmbedRequest
	in  input
}

func (q *teiEmbedCall) target() any { return &q.req }

func (q *teiEmbedCall) shared(s *Server) (common, *APIError) {
	r := &q.req
	var e *APIError
	if q.in, e = s.parseInputs(r.Inputs, "inputs"); e != nil {
		return common{}, e
	}
	c := common{model: r.Model, promptName: r.PromptName, dimensions: r.Dimensions, normalize: r.Normalize, input: "inputs",
		truncate: r.Truncate != nil && *r.Truncate}
	if r.TruncationDirection != nil {
		switch *r.TruncationDirection {
		case "Right", "right":
		case "Left", "left":
			c.fromStart = true
		default:
			return common{}, badRequest("truncation_direction", "truncation_direction must be \"Left\" or \"Right\", not %s", quote(*r.TruncationDirection))
		}
	}
	return c, nil
}

// run answers TEI's bare array of float arrays.
func (q *teiEmbedCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	res, _, e := s.embedInput(ctx, c, q.in)
	if e != nil {
		return nil, e
	}
	out := make([]json.RawMessage, len(res.Vectors))
	for i, v := range res.Vectors {
		out[i] = encodeFloats(v)
	}
	return out, nil
}

// TEIInfo is the body of GET /info: text-embeddings-inference's Info,
// of the default model.
type TEIInfo struct {
	ModelID               string         `json:"model_id"`
	ModelSHA              *string        `json:"model_sha"`
	ModelDType            string         `json:"model_dtype"`
	ModelType             map[string]any `json:"model_type"`
	ServedModelName       string         `json:"served_model_name"`
	MaxConcurrentRequests int            `json:"max_concurrent_requests"`
	MaxInputLength        int            `json:"max_input_length"`
	MaxBatchTokens        int            `json:"max_batch_tokens"`
	MaxBatchRequests      *int           `json:"max_batch_requests"`
	MaxClientBatchSize    int            `json:"max_client_batch_size"`
	AutoTruncate          bool           `json:"auto_truncate"`
	TokenizationWorkers   int            `json:"tokenization_workers"`
	Version               string         `json:"version"`
	SHA                   *string        `json:"sha"`
	DockerLabel           *string        `json:"docker_label"`
}

// handleTEIInfo answers GET /info for the default model: its name and
// file type, its pooling (or reranker), its context (max_input_length),
// the engine's batch (max_batch_tokens, max_batch_requests) and the
// server's MaxInputs (max_client_batch_size). Truncation is per request
// (auto_truncate false).
func (s *Server) handleTEIInfo(w http.ResponseWriter, _ *http.Request) {
	name := s.modelName("")
	info, err := s.engine.ModelInfo(s.resolve(""))
	if err != nil {
		s.writeError(w, s.errorFor(err, nil))
		return
	}
	typ := map[string]any{"embedding": map[string]string{"pooling": info.Pooling.String()}}
	if info.DeclaredPooling == "rank" {
		typ = map[string]any{"reranker": map[string]any{"id2label": map[string]string{"0": "LABEL_0"}, "label2id": map[string]int{"LABEL_0": 0}}}
	}
	seqs := info.MaxSequences
	writeJSON(w, http.StatusOK, TEIInfo{
		ModelID: name, ModelDType: strings.ToLower(info.FileType), ModelType: typ, ServedModelName: name,
		MaxConcurrentRequests: s.opts.MaxInputs, MaxInputLength: info.ContextSize, MaxBatchTokens: info.BatchSize,
		MaxBatchRequests: &seqs, MaxClientBatchSize: s.opts.MaxInputs, TokenizationWorkers: max(info.Threads, 1),
		Version: version(),
	})
}

// version is the embellama module's version in this binary.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range append([]*debug.Module{&bi.Main}, bi.Deps...) {
			if m.Path == "github.com/embellama/embellama" && m.Version != "" {
				return m.Version
			}
		}
	}
	return "(devel)"
}

// TEIEmbedAllRequest is the body of POST /embed_all: one vector per
// token of each input, unpooled and unnormalized (as TEI answers).
type TEIEmbedAllRequest struct {
	// Inputs is a string or an array of strings.
	Inputs              json.RawMessage `json:"inputs"`
	Truncate            *bool           `json:"truncate,omitempty"`
	TruncationDirection *string         `json:"truncation_direction,omitempty"`
	PromptName          *string         `json:"prompt_name,omitempty"`
	Model               string          `json:"model,omitempty"` // an extension
}

// tokenEmbedder is the optional part of an [Engine] that /embed_all
// uses; [*embed.Engine] is one.
type tokenEmbedder interface {
	EmbedTokens(ctx context.Context, name, text string, opts ...embed.Option) ([][]float32, error)
}

var _ tokenEmbedder = (*embed.Engine)(nil)

// teiEmbedAllCall is a decoded POST /embed_all.
type teiEmbedAllCall struct {
	req TEIEmbedAllRequest
	in  input
}

func (q *teiEmbedAllCall) target() any { return &q.req }

func (q *teiEmbedAllCall) shared(s *Server) (common, *APIError) {
	r := &q.req
	embedReq := teiEmbedCall{req: TEIEmbedRequest{Inputs: r.Inputs, Truncate: r.Truncate, TruncationDirection: r.TruncationDirection, PromptName: r.PromptName, Model: r.Model}}
	c, e := embedReq.shared(s)
	if e != nil {
		return common{}, e
	}
	if embedReq.in.tokens != nil {
		return common{}, badRequest("inputs", "inputs must be texts: /embed_all does not take token ids")
	}
	q.in = embedReq.in
	off := false
	c.normalize = &off
	return c, nil
}

// run answers an array of token-vector arrays, one per input, refusing
// with 413 an answer that would pass four times MaxBodyBytes (at about
// 12 bytes a number) before it is built.
func (q *teiEmbedAllCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	te, ok := s.engine.(tokenEmbedder)
	if !ok {
		return nil, notImplemented()
	}
	limit := 4 * s.opts.MaxBodyBytes
	var size int64
	out := make([][]json.RawMessage, len(q.in.texts))
	for i, text := range q.in.texts {
		vecs, err := te.EmbedTokens(ctx, c.resolved, text, c.opts...)
		if err != nil {
			return nil, s.errorFor(err, c)
		}
		out[i] = make([]json.RawMessage, len(vecs))
		for j, v := range vecs {
			if size += int64(12 * len(v)); size > limit {
				return nil, apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "answer_too_large", "inputs",
					"the token vectors of these inputs pass %d bytes, the most this server answers (4 × -max-body); send fewer or shorter inputs", limit)
			}
			out[i][j] = encodeFloats(v)
		}
	}
	return out, nil
}
