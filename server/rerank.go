package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/embellama/embellama/embed"
)

// RerankRequest is the body of POST /v1/rerank and /rerank: the shape of
// Cohere's and Jina's rerank APIs (documents, top_n, return_documents),
// and text-embeddings-inference's (texts, return_text, raw_scores), which
// a body with "texts" selects, as llama.cpp's server does.
type RerankRequest struct {
	Model string `json:"model,omitempty"`
	Query string `json:"query"`
	// Documents are strings or objects with a "text" field.
	Documents []RerankDocument `json:"documents,omitempty"`
	// TopN keeps the best N results; 0 or absent keeps all.
	TopN            int  `json:"top_n,omitempty"`
	ReturnDocuments bool `json:"return_documents,omitempty"`
	// Texts, ReturnText and RawScores are text-embeddings-inference's.
	Texts      []string `json:"texts,omitempty"`
	ReturnText bool     `json:"return_text,omitempty"`
	RawScores  bool     `json:"raw_scores,omitempty"`
	// Truncate cuts over-long documents (never the query) instead of
	// failing; TEI's field, accepted in both shapes.
	Truncate bool `json:"truncate,omitempty"`
	// TruncationDirection is TEI's: "Right" (the default) cuts the end
	// of a document; "Left" is refused (a pair is cut from its end).
	TruncationDirection string `json:"truncation_direction,omitempty"`
}

// RerankDocument is a document given as a string or as {"text": "..."}.
type RerankDocument struct {
	Text string `json:"text"`
}

// UnmarshalJSON accepts a string or an object with a text field.
func (d *RerankDocument) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &d.Text)
	}
	var o struct {
		Text *string `json:"text"`
	}
	if err := json.Unmarshal(b, &o); err != nil || o.Text == nil {
		return fmt.Errorf("a document is a string or an object with a text field")
	}
	d.Text = *o.Text
	return nil
}

// RerankResponse is the Cohere/Jina-shaped answer.
type RerankResponse struct {
	Model   string           `json:"model"`
	Object  string           `json:"object"`
	Results []RankedDocument `json:"results"`
	Usage   Usage            `json:"usage"`
}

// RankedDocument is one scored document of a [RerankResponse], best
// first (the whole result is embed.RerankResult). RelevanceScore is the
// score the model family's users expect (embed.RerankItem.Score: the
// sigmoid of a cross-encoder's logit, Qwen3-Reranker's P(yes)); llama.cpp's
// server reports the raw logit instead (TEI's raw_scores).
type RankedDocument struct {
	Index          int             `json:"index"`
	RelevanceScore float64         `json:"relevance_score"`
	Document       *RerankDocument `json:"document,omitempty"`
}

// TEIRankedDocument is one scored document of text-embeddings-inference's
// answer, a bare array of them.
type TEIRankedDocument struct {
	Index int     `json:"index"`
	Score float64 `json:"score"`
	Text  *string `json:"text,omitempty"`
}

// rerankCall is a decoded rerank request (any of its shapes) and its
// documents.
type rerankCall struct {
	req  RerankRequest
	docs []string
	tei  bool // the text-embeddings-inference shape
}

func (q *rerankCall) target() any { return &q.req }

func (q *rerankCall) shared(s *Server) (common, *APIError) {
	req := &q.req
	q.tei = req.Texts != nil
	q.docs = req.Texts
	if !q.tei {
		for _, d := range req.Documents {
			q.docs = append(q.docs, d.Text)
		}
	}
	switch {
	case q.tei && req.Documents != nil:
		return common{}, badRequest("documents", "give documents (the Cohere and Jina shape) or texts (text-embeddings-inference's), not both")
	case len(q.docs) == 0:
		return common{}, badRequest("documents", "documents must be a non-empty array")
	case req.TruncationDirection != "" && req.TruncationDirection != "Right" && req.TruncationDirection != "right":
		return common{}, badRequest("truncation_direction", "truncation_direction %s: only \"Right\" is supported (pairs are cut from their end)", quote(req.TruncationDirection))
	case req.TopN < 0:
		return common{}, badRequest("top_n", "top_n must not be negative")
	}
	if e := s.checkInputs("query", req.Query); e != nil {
		return common{}, e
	}
	if e := s.checkInputs("documents", q.docs...); e != nil {
		return common{}, e
	}
	return common{model: req.Model, truncate: req.Truncate, input: "documents", text: "query"}, nil
}

func (q *rerankCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	r, err := s.retriever.Rerank(ctx, c.resolved, q.req.Query, q.docs, c.opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	tokens, e := itemTokens(s, c, r.Items, func(it embed.RerankItem) (int, error) { return it.Tokens, it.Err })
	if e != nil {
		return nil, e
	}
	s.metrics.inputs.Add(float64(len(q.docs)))
	s.metrics.tokens.Add(float64(tokens))
	sorted := r.Sorted(q.req.TopN)
	if q.tei {
		return q.teiResponse(sorted), nil
	}
	out := RerankResponse{Model: s.modelName(c.model), Object: "list", Results: make([]RankedDocument, len(sorted)), Usage: Usage{tokens, tokens}}
	for i, it := range sorted {
		out.Results[i] = RankedDocument{Index: it.Index, RelevanceScore: it.Score}
		if q.req.ReturnDocuments {
			out.Results[i].Document = &RerankDocument{Text: q.docs[it.Index]}
		}
	}
	return out, nil
}

// teiResponse is text-embeddings-inference's answer: a bare array.
func (q *rerankCall) teiResponse(sorted []embed.RerankItem) []TEIRankedDocument {
	out := make([]TEIRankedDocument, len(sorted))
	for i, it := range sorted {
		out[i] = TEIRankedDocument{Index: it.Index, Score: it.Score}
		if q.req.RawScores {
			out[i].Score = it.Raw
		}
		if q.req.ReturnText {
			out[i].Text = &q.docs[it.Index]
		}
	}
	return out
}

// itemTokens sums the tokens of a call's per-input results, or answers
// the first input's error: every route that ranks or labels inputs
// refuses the whole call when one input fails.
func itemTokens[I any](s *Server, c *call, items []I, of func(I) (int, error)) (int, *APIError) {
	tokens := 0
	for i, it := range items {
		n, err := of(it)
		if err != nil {
			return 0, s.inputErrorFor(c, i, err)
		}
		tokens += n
	}
	return tokens, nil
}
