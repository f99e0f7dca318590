package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/embellama/embellama/embed"
)

// Classifier is the optional part of an [Engine] that the classification
// routes (/predict, /classify) use; [*embed.Engine] is one. An engine
// without it answers them with 501.
type Classifier interface {
	// Classify labels texts or pairs of texts.
	Classify(ctx context.Context, name string, inputs [][]string, opts ...embed.Option) (*embed.ClassifyResult, error)
}

var _ Classifier = (*embed.Engine)(nil)

// PredictRequest is the body of POST /predict, text-embeddings-inference's
// classification route (its openapi.json): inputs is a string, a pair
// [string, string], or a batch of one-text and two-text arrays.
type PredictRequest struct {
	Inputs PredictInput `json:"inputs"`
	// RawScores returns the outputs as the model leaves them (logits)
	// instead of probabilities (embed.ClassScore).
	RawScores bool `json:"raw_scores,omitempty"`
	// Truncate cuts an over-long input instead of failing: the end
	// (truncation_direction Right, the default), or the beginning (Left,
	// single texts only: a pair's second text is cut at its end).
	Truncate            *bool  `json:"truncate,omitempty"`
	TruncationDirection string `json:"truncation_direction,omitempty"`
}

// PredictInput is /predict's inputs: Batch reports the batch form, whose
// answer is an array per input; otherwise Inputs holds the one input.
type PredictInput struct {
	Inputs [][]string
	Batch  bool
}

// UnmarshalJSON reads the three forms TEI accepts, and refuses anything
// else (an array of three strings, an empty batch member) by name.
func (p *PredictInput) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		p.Inputs, p.Batch = [][]string{{one}}, false
		return nil
	}
	var flat []string
	if json.Unmarshal(b, &flat) == nil {
		if len(flat) < 1 || len(flat) > 2 {
			return fmt.Errorf("inputs: a pair has two strings, not %d", len(flat))
		}
		p.Inputs, p.Batch = [][]string{flat}, false
		return nil
	}
	var batch [][]string
	if err := json.Unmarshal(b, &batch); err != nil {
		return errors.New("inputs: a string, a pair [string, string], or a batch [[string], [string, string], ...]")
	}
	for i, in := range batch {
		if len(in) < 1 || len(in) > 2 {
			return fmt.Errorf("inputs[%d]: one string or a pair of two, not %d", i, len(in))
		}
	}
	p.Inputs, p.Batch = batch, true
	return nil
}

// Prediction is one class of a /predict answer, best first.
type Prediction struct {
	Score float64 `json:"score"`
	Label string  `json:"label"`
}

// ClassifyRequest is the body of POST /classify, the shape of vLLM's and
// SGLang's classification API: input is a string or an array of them.
// Truncate is an extension (as on /rerank).
type ClassifyRequest struct {
	Model    string     `json:"model,omitempty"`
	Input    stringList `json:"input"`
	Truncate bool       `json:"truncate,omitempty"`
}

// stringList is a string or an array of strings.
type stringList []string

// UnmarshalJSON accepts a string or an array of strings.
func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("a string or an array of strings")
	}
	*l = many
	return nil
}

// ClassifyResponse is the answer of POST /classify.
type ClassifyResponse struct {
	ID      string           `json:"id"`
	Object  string           `json:"object"`
	Created int64            `json:"created"`
	Model   string           `json:"model"`
	Data    []ClassifyResult `json:"data"`
	Usage   Usage            `json:"usage"`
}

// ClassifyResult is one input's classes: the best label, the
// probabilities in the model's output order, and (an extension) every
// label in that order.
type ClassifyResult struct {
	Index      int       `json:"index"`
	Label      string    `json:"label"`
	Probs      []float64 `json:"probs"`
	NumClasses int       `json:"num_classes"`
	Labels     []string  `json:"labels"`
}

// predictCall is a decoded /predict or /classify request.
type predictCall struct {
	predict  PredictRequest
	classify ClassifyRequest
	vllm     bool // /classify
}

type classifyCall struct{ predictCall }

func (q *predictCall) target() any  { return &q.predict }
func (q *classifyCall) target() any { return &q.classify }

func (q *classifyCall) shared(s *Server) (common, *APIError) {
	q.vllm = true
	return q.predictCall.shared(s)
}

// inputs returns the call's inputs, each one text or a pair.
func (q *predictCall) inputs() [][]string {
	if q.vllm {
		in := make([][]string, len(q.classify.Input))
		for i, t := range q.classify.Input {
			in[i] = []string{t}
		}
		return in
	}
	return q.predict.Inputs.Inputs
}

func (q *predictCall) shared(s *Server) (common, *APIError) {
	param := "inputs"
	c := common{input: param}
	if q.vllm {
		param = "input"
		c = common{model: q.classify.Model, truncate: q.classify.Truncate, input: param}
	} else {
		c.truncate = q.predict.Truncate != nil && *q.predict.Truncate
		switch q.predict.TruncationDirection {
		case "", "Right", "right", "Left", "left":
		default:
			return common{}, badRequest("truncation_direction", "truncation_direction must be Left or Right")
		}
	}
	in := q.inputs()
	if len(in) == 0 {
		return common{}, badRequest(param, "%s must not be empty", param)
	}
	var texts []string
	for _, t := range in {
		texts = append(texts, t...)
		if len(t) == 2 && q.left() {
			return common{}, badRequest("truncation_direction", "truncation_direction Left applies to single texts; a pair's second text is cut at its end")
		}
	}
	if e := s.checkInputs(param, texts...); e != nil {
		return common{}, e
	}
	return c, nil
}

// left reports /predict's truncation from the beginning.
func (q *predictCall) left() bool {
	d := q.predict.TruncationDirection
	return !q.vllm && (d == "Left" || d == "left")
}

func (q *predictCall) run(ctx context.Context, s *Server, c *call) (any, *APIError) {
	cl, ok := s.engine.(Classifier)
	if !ok {
		return nil, notImplemented()
	}
	opts := c.opts
	if c.truncate && q.left() {
		opts = append(opts[:len(opts):len(opts)], embed.WithTruncation(embed.TruncateStart))
	}
	in := q.inputs()
	r, err := cl.Classify(ctx, c.resolved, in, opts...)
	if err != nil {
		return nil, s.errorFor(err, c)
	}
	tokens, e := itemTokens(s, c, r.Items, func(it embed.ClassifyItem) (int, error) { return it.Tokens, it.Err })
	if e != nil {
		return nil, e
	}
	s.metrics.inputs.Add(float64(len(in)))
	s.metrics.tokens.Add(float64(tokens))
	if q.vllm {
		return q.vllmResponse(s, c, r, tokens), nil
	}
	// Best first, as TEI sorts; the raw outputs have the probabilities'
	// order (softmax and sigmoid are monotonic).
	out := make([][]Prediction, len(r.Items))
	for i, it := range r.Items {
		for _, cs := range it.Sorted() {
			p := Prediction{Score: cs.Score, Label: cs.Label}
			if q.predict.RawScores {
				p.Score = cs.Raw
			}
			out[i] = append(out[i], p)
		}
	}
	if !q.predict.Inputs.Batch {
		return out[0], nil
	}
	return out, nil
}

func (q *predictCall) vllmResponse(s *Server, c *call, r *embed.ClassifyResult, tokens int) ClassifyResponse {
	now := time.Now()
	out := ClassifyResponse{ID: fmt.Sprintf("classify-%x", now.UnixNano()), Object: "list", Created: now.Unix(),
		Model: s.modelName(c.model), Data: make([]ClassifyResult, len(r.Items)), Usage: Usage{tokens, tokens}}
	for i, it := range r.Items {
		d := ClassifyResult{Index: i, NumClasses: len(it.Classes)}
		for _, cs := range it.Classes {
			d.Probs = append(d.Probs, cs.Score)
			d.Labels = append(d.Labels, cs.Label)
		}
		d.Label = it.Sorted()[0].Label
		out.Data[i] = d
	}
	return out
}
