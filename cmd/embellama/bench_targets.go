package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"

	"github.com/embellama/embellama/embed"
)

// target is what bench measures: the engine in this process, or an
// OpenAI-compatible server, embedding texts or reranking them.
type target interface {
	name() string
	// run embeds texts, or scores them as documents against the
	// bench's query, and returns the tokens evaluated.
	run(ctx context.Context, texts []string) (tokens int, err error)
}

// scorer is a reranking target: bench compares the scores of two.
type scorer interface {
	target
	scores(ctx context.Context, docs []string) ([]float64, error)
}

type engineTarget struct{ e *embed.Engine }

func (t engineTarget) name() string { return "embellama (library)" }

func (t engineTarget) run(ctx context.Context, texts []string) (int, error) {
	r, err := t.e.EmbedBatch(ctx, "", texts)
	if err != nil {
		return 0, err
	}
	if err := r.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, k := range r.Tokens {
		n += k
	}
	return n, nil
}

// engineRerank scores documents against one query with the engine. Its
// scores are llama.cpp's raw ones ([embed.RerankItem.Raw]), which
// llama-server's /rerank returns, or with raw false the family's score
// ([embed.RerankItem.Score]), which embellama serve's /v1/rerank returns.
type engineRerank struct {
	e     *embed.Engine
	query string
	raw   bool
}

func (t engineRerank) name() string { return "embellama (library)" }

func (t engineRerank) run(ctx context.Context, docs []string) (int, error) {
	r, err := t.rerank(ctx, docs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range r.Items {
		n += it.Tokens
	}
	return n, nil
}

func (t engineRerank) scores(ctx context.Context, docs []string) ([]float64, error) {
	r, err := t.rerank(ctx, docs)
	if err != nil {
		return nil, err
	}
	s := make([]float64, len(r.Items))
	for i, it := range r.Items {
		s[i] = it.Score
		if t.raw {
			s[i] = it.Raw
		}
	}
	return s, nil
}

func (t engineRerank) rerank(ctx context.Context, docs []string) (*embed.RerankResult, error) {
	r, err := t.e.Rerank(ctx, "", t.query, docs)
	if err != nil {
		return nil, err
	}
	return r, r.Err()
}

type serverTarget struct {
	url, model, label string
	client            *http.Client
}

func (t serverTarget) name() string { return t.label }

func (t serverTarget) run(ctx context.Context, texts []string) (int, error) {
	var out struct {
		Data  []json.RawMessage `json:"data"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	err := t.post(ctx, map[string]any{"input": texts, "model": t.model, "encoding_format": "float"}, &out)
	if err != nil {
		return 0, err
	}
	if len(out.Data) != len(texts) {
		return 0, fmt.Errorf("%s: %d embeddings for %d inputs", t.url, len(out.Data), len(texts))
	}
	return out.Usage.PromptTokens, nil
}

// post sends body as JSON and decodes a 200 answer into out.
func (t serverTarget) post(ctx context.Context, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err = io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %.200s", t.url, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// serverRerank scores documents against one query through a server's
// rerank route in the shape llama-server and embellama serve share
// ({query, documents} → {results: [{index, relevance_score}], usage});
// llama-server's relevance_score is the raw score, embellama's the
// family's (-server-scores).
type serverRerank struct {
	serverTarget
	query string
}

func (t serverRerank) run(ctx context.Context, docs []string) (int, error) {
	_, n, err := t.rerank(ctx, docs)
	return n, err
}

func (t serverRerank) scores(ctx context.Context, docs []string) ([]float64, error) {
	s, _, err := t.rerank(ctx, docs)
	return s, err
}

func (t serverRerank) rerank(ctx context.Context, docs []string) ([]float64, int, error) {
	var out struct {
		Results []struct {
			Index int     `json:"index"`
			Score float64 `json:"relevance_score"`
		} `json:"results"`
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	err := t.post(ctx, map[string]any{"model": t.model, "query": t.query, "documents": docs}, &out)
	if err != nil {
		return nil, 0, err
	}
	if len(out.Results) != len(docs) {
		return nil, 0, fmt.Errorf("%s: %d results for %d documents", t.url, len(out.Results), len(docs))
	}
	s := make([]float64, len(docs))
	seen := make([]bool, len(docs))
	for _, r := range out.Results {
		if r.Index < 0 || r.Index >= len(docs) || seen[r.Index] {
			return nil, 0, fmt.Errorf("%s: result index %d out of range or repeated", t.url, r.Index)
		}
		s[r.Index], seen[r.Index] = r.Score, true
	}
	return s, out.Usage.PromptTokens, nil
}

// scoreDiff is how far two scorers' scores of the same documents lie
// apart: the largest absolute difference, and that difference relative
// to the largest magnitude of b's scores (a score near zero makes a
// per-score relative error meaningless).
type scoreDiff struct {
	docs          int
	maxAbs, scale float64
}

func (d scoreDiff) relative() float64 {
	if d.scale == 0 {
		return d.maxAbs
	}
	return d.maxAbs / d.scale
}

// compareScores scores docs with a and b, perRequest documents per call.
func compareScores(ctx context.Context, a, b scorer, docs []string, perRequest int) (scoreDiff, error) {
	d := scoreDiff{docs: len(docs)}
	for i := 0; i < len(docs); i += perRequest {
		part := docs[i:min(i+perRequest, len(docs))]
		sa, err := a.scores(ctx, part)
		if err != nil {
			return d, fmt.Errorf("%s: %w", a.name(), err)
		}
		sb, err := b.scores(ctx, part)
		if err != nil {
			return d, fmt.Errorf("%s: %w", b.name(), err)
		}
		for j := range part {
			d.maxAbs = max(d.maxAbs, math.Abs(sa[j]-sb[j]))
			d.scale = max(d.scale, math.Abs(sb[j]))
		}
	}
	return d, nil
}
