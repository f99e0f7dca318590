package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// OllamaEmbedRequest is the body of POST /api/embed, ollama's
// embeddings route (its api.EmbedRequest).
type OllamaEmbedRequest struct {
	Model string `json:"model"`
	// Input is a string or an array of strings (token ids also work).
	// An empty string or array answers no embeddings, as ollama does
	// (clients send one to load a model).
	Input json.RawMessage `json:"input"`
	// Truncate: absent or true cuts an input longer than the context
	// (ollama's default); false refuses it with 400.
	Truncate *bool `json:"truncate,omitempty"`
	// Dimensions keeps the first N components, renormalized; 0: all.
	Dimensions int `json:"dimensions,omitempty"`
	// KeepAlive is accepted (a duration or seconds): models stay
	// loaded for the server's life.
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	// Options must be absent, null or empty: embellama sets a model's
	// options when it loads it.
	Options map[string]any `json:"options"`
}

// OllamaEmbedResponse is the answer of POST /api/embed.
type OllamaEmbedResponse struct {
	Model           string            `json:"model"`
	Embeddings      []json.RawMessage `json:"embeddings"`
	TotalDuration   int64             `json:"total_duration,omitempty"` // nanoseconds
	PromptEvalCount int               `json:"prompt_eval_count,omitempty"`
}

// OllamaEmbeddingRequest is the body of POST /api/embeddings, ollama's
// older route (api.EmbeddingRequest): one prompt.
type OllamaEmbeddingRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	Options   map[string]any  `json:"options"`
}

// OllamaError is ollama's error body.
type OllamaError struct {
	Error string `json:"error"`
}

func ollamaError(e *APIError) any { return OllamaError{Error: e.Message} }

// checkOllama refuses options a client sets (they are a model's load
// settings here, which a request cannot change) and a keep_alive that
// is neither a number nor a duration.
func checkOllama(opts map[string]any, keepAlive json.RawMessage) *APIError {
	if len(opts) > 0 {
		keys := make([]string, 0, len(opts))
		for k := range opts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return badRequest("options", "options %s: embellama sets a model's options when it loads it (embellama serve -h), not per request", quote(strings.Join(keys, ", ")))
	}
	if len(keepAlive) > 0 && string(keepAlive) != "null" {
		var v any
		_ = json.Unmarshal(keepAlive, &v)
		switch k := v.(type) {
		case float64:
		case string:
			if _, err := time.ParseDuration(k); err != nil {
				return badRequest("keep_alive", "keep_alive %s is not a duration", quote(k))
			}
		default:
			return badRequest("keep_alive", "keep_alive must be a number of seconds or a duration string")
		}
	}
	return nil
}

// ollamaEmbedCall is a decoded POST /api/embed.
type ollamaEmbedCall struct {
	req   OllamaEmbedRequest
	in    input
	empty bool // no input: answer no embeddings
	start time.Time
}

func (q *ollamaEmbedCall) target() any { return &q.req }

func (q *ollamaEmbedCall) shared(s *Server) (common, *APIError) {
	r := &q.req
	q.start = time.Now()
	if e := checkOllama(r.Options, r.KeepAlive); e != nil {
		return common{}, e
	}
	switch strings.TrimSpace(string(r.Input)) {
	case `""`, `[]`, "", "null":
		q.empty = true
	default:
		var e *APIError
		if q.in, e = s.parseInputs(r.Input, "input"); e != nil {
			return common{}, e
		}
	}
	c := common{model: r.Model, input: "input", truncate: r.Truncate == nil || *r.Truncate}
	if r.Dimensions != 0 {
		c.dimensions = &r.Dimensions
	}
	return c, nil
}

func (q *ollamaEmbedCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	out := OllamaEmbedResponse{Model: s.modelName(c.model), Embeddings: []json.RawMessage{}}
	if q.empty {
		return out, nil
	}
	res, tokens, e := s.embedInput(ctx, c, q.in)
	if e != nil {
		return nil, e
	}
	for _, v := range res.Vectors {
		out.Embeddings = append(out.Embeddings, encodeFloats(v))
	}
	out.PromptEvalCount, out.TotalDuration = tokens, time.Since(q.start).Nanoseconds()
	return out, nil
}

// ollamaEmbeddingCall is a decoded POST /api/embeddings.
type ollamaEmbeddingCall struct {
	req OllamaEmbeddingRequest
}

func (q *ollamaEmbeddingCall) target() any { return &q.req }

func (q *ollamaEmbeddingCall) shared(s *Server) (common, *APIError) {
	if e := checkOllama(q.req.Options, q.req.KeepAlive); e != nil {
		return common{}, e
	}
	if e := s.checkInputs("prompt", q.req.Prompt); e != nil {
		return common{}, e
	}
	return common{model: q.req.Model, input: "prompt"}, nil
}

// run answers {"embedding": [...]}; an empty prompt answers an empty
// embedding, as ollama does.
func (q *ollamaEmbeddingCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	out := struct {
		Embedding json.RawMessage `json:"embedding"`
	}{json.RawMessage("[]")}
	if q.req.Prompt == "" {
		return out, nil
	}
	res, _, e := s.embedInput(ctx, c, input{texts: []string{q.req.Prompt}})
	if e != nil {
		return nil, e
	}
	out.Embedding = encodeFloats(res.Vectors[0])
	return out, nil
}

// OllamaModel is an entry of GET /api/tags (ollama's ListModelResponse).
type OllamaModel struct {
	Name       string             `json:"name"`
	Model      string             `json:"model"`
	ModifiedAt time.Time          `json:"modified_at"`
	Size       int64              `json:"size"`
	Digest     string             `json:"digest"`
	Details    OllamaModelDetails `json:"details"`
}

// OllamaModelDetails is ollama's ModelDetails.
type OllamaModelDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

// ollamaModel describes a loaded model or alias as ollama does, or
// returns false.
func (s *Server) ollamaModel(id string) (OllamaModel, map[string]any, bool) {
	info, err := s.engine.ModelInfo(s.resolve(id))
	if err != nil || id == "" {
		return OllamaModel{}, nil, false
	}
	m := OllamaModel{Name: id, Model: id, Size: info.FileSize, Details: OllamaModelDetails{
		Format: "gguf", Family: info.Architecture, Families: []string{info.Architecture},
		ParameterSize: paramSize(info.Parameters), QuantizationLevel: info.FileType,
	}}
	if st, err := os.Stat(info.Path); err == nil {
		m.ModifiedAt = st.ModTime().UTC()
	}
	arch := info.Architecture
	mi := map[string]any{
		"general.architecture":     arch,
		"general.parameter_count":  info.Parameters,
		arch + ".embedding_length": info.Dim,
		arch + ".context_length":   info.ContextSize,
		"general.file_type":        info.FileType,
	}
	return m, mi, true
}

// paramSize writes a weight count as ollama does: 22.7M, 7.6B.
func paramSize(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%d", n)
}

// handleOllamaTags answers GET /api/tags: the loaded models and aliases.
func (s *Server) handleOllamaTags(w http.ResponseWriter, _ *http.Request) {
	out := struct {
		Models []OllamaModel `json:"models"`
	}{Models: []OllamaModel{}}
	for _, id := range s.modelIDs() {
		if m, _, ok := s.ollamaModel(id); ok {
			out.Models = append(out.Models, m)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// modelIDs lists the loaded models, then the aliases, sorted.
func (s *Server) modelIDs() []string {
	aliases := make([]string, 0, len(s.opts.Aliases))
	for a := range s.opts.Aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	return append(s.engine.Models(), aliases...)
}

// OllamaShowRequest is the body of POST /api/show (ollama's
// api.ShowRequest). System and Template must be empty, Options absent
// or empty; Verbose changes nothing (there are no tensors to list).
type OllamaShowRequest struct {
	Model    string         `json:"model"`
	Name     string         `json:"name"` // ollama's older field for Model
	System   string         `json:"system"`
	Template string         `json:"template"`
	Verbose  bool           `json:"verbose"`
	Options  map[string]any `json:"options"`
}

// ollamaShowCall is a decoded POST /api/show; it evaluates nothing.
type ollamaShowCall struct{ req OllamaShowRequest }

func (q *ollamaShowCall) target() any { return &q.req }

func (q *ollamaShowCall) shared(*Server) (common, *APIError) {
	r := &q.req
	switch {
	case r.System != "" || r.Template != "":
		return common{}, badRequest("system", "system and template are generation settings; an embedding server has none")
	case r.Model != "" && r.Name != "" && r.Model != r.Name:
		return common{}, badRequest("name", "give model or name (its older spelling), not both")
	}
	if r.Model == "" {
		r.Model = r.Name
	}
	if r.Model == "" {
		return common{}, badRequest("model", "model is required")
	}
	return common{model: r.Model}, checkOllama(r.Options, nil)
}

func (q *ollamaShowCall) run(_ context.Context, s *Server, c *call) (any, *APIError) {
	m, mi, ok := s.ollamaModel(c.model)
	if !ok {
		return nil, s.unknownModel(c.model)
	}
	return struct {
		Details      OllamaModelDetails `json:"details"`
		ModelInfo    map[string]any     `json:"model_info"`
		Capabilities []string           `json:"capabilities"`
		ModifiedAt   time.Time          `json:"modified_at"`
	}{m.Details, mi, []string{"embedding"}, m.ModifiedAt}, nil
}
