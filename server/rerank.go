package server

import (
	"context"
	"encoding/json"
	"fmt"
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
	Model   string         `json:"model"`
	Object  string         `json:"object"`
	Results []RerankResult `json:"results"`
	Usage   Usage          `json:"usage"`
}

// RerankResult is one scored document, best first. RelevanceScore is the
// score the model family's users expect (embed.RerankItem.Score: the
// sigmoid of a cross-encoder's logit, Qwen3-Reranker's P(yes)); llama.cpp's
// server reports the raw logit instead (TEI's raw_scores).
type RerankResult struct {
	Index          int             `json:"index"`
	RelevanceScore float64         `json:"relevance_score"`
	Document       *RerankDocument `json:"document,omitempty"`
}

// TEIRerankResult is one element of text-embeddings-inference's answer.
type TEIRerankResult struct {
	Index int     `json:"index"`
	Score float64 `json:"score"`
	Text  *string `json:"text,omitempty"`
}

func (s *Server) handleRerank(ctx context.Context, body []byte) (any, *APIError) {
	rt, ok := s.engine.(Retriever)
	if !ok {
		return nil, notImplemented()
	}
	var req RerankRequest
	if e := decodeJSON(body, &req); e != nil {
		return nil, e
	}
	tei := req.Texts != nil
	docs := req.Texts
	if !tei {
		for _, d := range req.Documents {
			docs = append(docs, d.Text)
		}
	}
	switch {
	case tei && req.Documents != nil:
		return nil, badRequest("documents", "give documents (the Cohere and Jina shape) or texts (text-embeddings-inference's), not both")
	case len(docs) == 0:
		return nil, badRequest("documents", "documents must be a non-empty array")
	case req.TopN < 0:
		return nil, badRequest("top_n", "top_n must not be negative")
	}
	if e := s.checkInputs("query", req.Query); e != nil {
		return nil, e
	}
	if e := s.checkInputs("documents", docs...); e != nil {
		return nil, e
	}
	c, e := s.check(common{model: req.Model, truncate: req.Truncate, input: "documents", text: "query"})
	if e != nil {
		return nil, e
	}
	r, err := rt.Rerank(ctx, c.resolved, req.Query, docs, c.opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	tokens := 0
	for i, it := range r.Items {
		if it.Err != nil {
			return nil, s.inputErrorFor(c, i, it.Err)
		}
		tokens += it.Tokens
	}
	s.metrics.inputs.Add(float64(len(docs)))
	s.metrics.tokens.Add(float64(tokens))
	sorted := r.Sorted(req.TopN)
	if tei {
		out := make([]TEIRerankResult, len(sorted))
		for i, it := range sorted {
			out[i] = TEIRerankResult{Index: it.Index, Score: it.Score}
			if req.RawScores {
				out[i].Score = it.Raw
			}
			if req.ReturnText {
				out[i].Text = &docs[it.Index]
			}
		}
		return out, nil
	}
	out := RerankResponse{Model: s.modelName(req.Model), Object: "list", Results: make([]RerankResult, len(sorted)), Usage: Usage{tokens, tokens}}
	for i, it := range sorted {
		out.Results[i] = RerankResult{Index: it.Index, RelevanceScore: it.Score}
		if req.ReturnDocuments {
			out.Results[i].Document = &RerankDocument{Text: docs[it.Index]}
		}
	}
	return out, nil
}
