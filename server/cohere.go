package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/embellama/embellama/embed"
)

// CohereEmbedRequest is the body of POST /v2/embed, Cohere's embeddings
// route (its V2EmbedRequest), for texts.
type CohereEmbedRequest struct {
	Texts []string `json:"texts"`
	Model string   `json:"model"`
	// InputType selects the model's prompt: search_query the "query"
	// prompt, search_document "document", classification and
	// clustering the prompts of those names where the model has them
	// (none where it has not); absent or empty, the model's default.
	InputType string `json:"input_type"`
	// EmbeddingTypes are the encodings answered, each under its name:
	// float (the default), int8, uint8, binary, ubinary, base64.
	EmbeddingTypes []string `json:"embedding_types,omitempty"`
	// Truncate is NONE (refuse a text longer than the context), START
	// or END (drop its start or end; the default, as Cohere's).
	Truncate *string `json:"truncate,omitempty"`
	// OutputDimension keeps the first N components, renormalized.
	OutputDimension *int `json:"output_dimension,omitempty"`
	// MaxTokens cuts (or with truncate NONE refuses) texts longer than
	// this many tokens.
	MaxTokens *int `json:"max_tokens,omitempty"`
	// Images and Inputs (images, mixed inputs) are not supported: they
	// must be absent or empty.
	Images []string          `json:"images,omitempty"`
	Inputs []json.RawMessage `json:"inputs,omitempty"`
}

// CohereError is Cohere's error body.
type CohereError struct {
	ID      string `json:"id,omitempty"`
	Message string `json:"message"`
}

func cohereError(e *APIError) any { return CohereError{ID: requestID(), Message: e.Message} }

// cohereMeta is Cohere's meta object: the API version and the tokens
// billed.
type cohereMeta struct {
	APIVersion  map[string]string `json:"api_version"`
	BilledUnits map[string]int    `json:"billed_units"`
}

func meta(tokens int, unit string) cohereMeta {
	return cohereMeta{APIVersion: map[string]string{"version": "2"}, BilledUnits: map[string]int{unit: tokens}}
}

// requestID is a random id for an answer's id field.
func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// cohereInputTypes maps Cohere's input types to prompt names; optional
// ones are applied only where the model has them.
var cohereInputTypes = map[string]struct {
	prompt   string
	optional bool
}{
	"search_query":    {"query", false},
	"search_document": {"document", false},
	"classification":  {"classification", true},
	"clustering":      {"clustering", true},
}

// cohereEmbedCall is a decoded POST /v2/embed.
type cohereEmbedCall struct {
	req   CohereEmbedRequest
	types []string
}

func (q *cohereEmbedCall) target() any { return &q.req }

func (q *cohereEmbedCall) shared(s *Server) (common, *APIError) {
	r := &q.req
	switch {
	case len(r.Images) > 0 || len(r.Inputs) > 0:
		return common{}, badRequest("images", "images and inputs are not supported: this server embeds texts")
	case len(r.Texts) == 0:
		return common{}, badRequest("texts", "texts must be a non-empty array")
	}
	if e := s.checkInputs("texts", r.Texts...); e != nil {
		return common{}, e
	}
	q.types = r.EmbeddingTypes
	if len(q.types) == 0 {
		q.types = []string{"float"}
	}
	for _, t := range q.types {
		if _, ok := encodings[t]; !ok || t == "" {
			return common{}, badRequest("embedding_types", "embedding_types holds %s; each must be one of %s", quote(t), encodingNames)
		}
	}
	c := common{model: r.Model, dimensions: r.OutputDimension, dimensionsParam: "output_dimension", input: "texts", truncate: true}
	if r.Truncate != nil {
		switch *r.Truncate {
		case "END":
		case "START":
			c.fromStart = true
		case "NONE":
			c.truncate = false
		default:
			return common{}, badRequest("truncate", "truncate must be \"NONE\", \"START\" or \"END\", not %s", quote(*r.Truncate))
		}
	}
	if r.MaxTokens != nil {
		if *r.MaxTokens < 1 {
			return common{}, badRequest("max_tokens", "max_tokens must be a positive integer, not %d", *r.MaxTokens)
		}
		c.maxTokens = *r.MaxTokens
	}
	if r.InputType != "" {
		it, ok := cohereInputTypes[r.InputType]
		if !ok {
			return common{}, badRequest("input_type", "input_type must be search_query, search_document, classification or clustering, not %s", quote(r.InputType))
		}
		if !it.optional || s.hasPrompt(r.Model, it.prompt) {
			c.promptName = &it.prompt
		} else {
			none := ""
			c.promptName = &none
		}
	}
	return c, nil
}

// hasPrompt reports whether model (a client's name) has a prompt named
// name; an unknown model is left to the frame's model check.
func (s *Server) hasPrompt(model, name string) bool {
	info, err := s.engine.ModelInfo(s.resolve(model))
	return err == nil && slices.ContainsFunc(info.Prompts, func(p embed.PromptInfo) bool { return p.Name == name })
}

func (q *cohereEmbedCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	res, tokens, e := s.embedInput(ctx, c, input{texts: q.req.Texts})
	if e != nil {
		return nil, e
	}
	embs := map[string][]json.RawMessage{}
	for _, t := range q.types {
		enc := encodings[t]
		list := make([]json.RawMessage, len(res.Vectors))
		for i, v := range res.Vectors {
			list[i] = enc.raw(v)
		}
		embs[t] = list
	}
	return struct {
		ID           string                       `json:"id"`
		Embeddings   map[string][]json.RawMessage `json:"embeddings"`
		Texts        []string                     `json:"texts"`
		Meta         cohereMeta                   `json:"meta"`
		ResponseType string                       `json:"response_type"`
	}{requestID(), embs, q.req.Texts, meta(tokens, "input_tokens"), "embeddings_by_type"}, nil
}

// CohereRerankRequest is the body of POST /v2/rerank (Cohere's
// V2RerankRequest).
type CohereRerankRequest struct {
	Model     string   `json:"model"`
	Query     string   `json:"query"`
	Documents []string `json:"documents"`
	// TopN keeps the best N results; absent, all.
	TopN *int `json:"top_n,omitempty"`
	// MaxTokensPerDoc must be absent or at least the model's context,
	// where a query and document pair longer than it is cut.
	MaxTokensPerDoc *int `json:"max_tokens_per_doc,omitempty"`
}

// cohereRerankCall is a decoded POST /v2/rerank.
type cohereRerankCall struct{ req CohereRerankRequest }

func (q *cohereRerankCall) target() any { return &q.req }

func (q *cohereRerankCall) shared(s *Server) (common, *APIError) {
	r := &q.req
	switch {
	case len(r.Documents) == 0:
		return common{}, badRequest("documents", "documents must be a non-empty array")
	case r.TopN != nil && *r.TopN < 1:
		return common{}, badRequest("top_n", "top_n must be a positive integer, not %d", *r.TopN)
	case r.MaxTokensPerDoc != nil && *r.MaxTokensPerDoc < 1:
		return common{}, badRequest("max_tokens_per_doc", "max_tokens_per_doc must be a positive integer, not %d", *r.MaxTokensPerDoc)
	}
	if e := s.checkInputs("query", r.Query); e != nil {
		return common{}, e
	}
	if e := s.checkInputs("documents", r.Documents...); e != nil {
		return common{}, e
	}
	if r.MaxTokensPerDoc != nil {
		if info, err := s.engine.ModelInfo(s.resolve(r.Model)); err == nil && *r.MaxTokensPerDoc < info.ContextSize {
			return common{}, badRequest("max_tokens_per_doc", "max_tokens_per_doc %d is below the model's context of %d tokens, which is where pairs are cut; a shorter cut is not supported",
				*r.MaxTokensPerDoc, info.ContextSize)
		}
	}
	return common{model: r.Model, truncate: true, input: "documents", text: "query"}, nil
}

func (q *cohereRerankCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	r, err := s.retriever.Rerank(ctx, c.resolved, q.req.Query, q.req.Documents, c.opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	tokens, e := itemTokens(s, c, r.Items, func(it embed.RerankItem) (int, error) { return it.Tokens, it.Err })
	if e != nil {
		return nil, e
	}
	s.metrics.inputs.Add(float64(len(q.req.Documents)))
	s.metrics.tokens.Add(float64(tokens))
	n := 0
	if q.req.TopN != nil {
		n = *q.req.TopN
	}
	type result struct {
		Index          int     `json:"index"`
		RelevanceScore float64 `json:"relevance_score"`
	}
	sorted := r.Sorted(n)
	out := make([]result, len(sorted))
	for i, it := range sorted {
		out[i] = result{it.Index, it.Score}
	}
	return struct {
		ID      string     `json:"id"`
		Results []result   `json:"results"`
		Meta    cohereMeta `json:"meta"`
	}{requestID(), out, meta(len(q.req.Documents), "search_units")}, nil
}
