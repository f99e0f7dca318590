package embed

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/pair"
	"github.com/embellama/embellama/internal/prompts"
)

// poolingRank is the pooling of rerankers (llama.cpp's rank pooling): not
// a choice for embedding calls, so it is outside the public values.
const poolingRank Pooling = -1

// retrieval is what a model needs for reranking and prompts, read from
// its GGUF header at load.
type retrieval struct {
	rank      bool           // declares rank pooling
	outputs   int            // classifier outputs per pair (n_cls_out)
	labels    []string       // their labels ({arch}.classifier.output_labels), or nil
	kind      ModelKind      // gguf.File.ModelKind
	softmax   bool           // llama.cpp's graph applies a softmax to them
	template  *pair.Template // tokenizer.chat_template.rerank, or nil
	scoring   string         // how Score is made, for ModelInfo
	prompts   prompts.Set
	defPrompt string
	// bad refuses the model at load: metadata over the bounds that keep
	// a request's work proportional to its size (a rerank template of
	// too many markers, a GGUF prompt too long), an ErrModelLoad.
	bad error
}

// PromptInfo is a named prompt of a model and where it comes from.
type PromptInfo struct {
	Name, Text string
	// Source is "config", "gguf", or "built-in <family>: <model card>".
	Source string
}

var promptName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func validPromptName(s string) bool { return promptName.MatchString(s) }

// SetPrompt sets the prompt called name in c.Prompts.
func (c *Config) SetPrompt(name, text string) {
	if c.Prompts == nil {
		c.Prompts = map[string]string{}
	}
	c.Prompts[name] = text
}

// planRetrieval reads the reranker facts and resolves the prompts.
func planRetrieval(f *gguf.File, cfg ModelConfig, declared string) retrieval {
	arch := f.Architecture()
	r := retrieval{rank: declared == "rank", outputs: 1, defPrompt: cfg.DefaultPrompt, kind: ModelKind(f.ModelKind())}
	if a, ok := f.Array(arch + gguf.ClassifierLabelsKey); ok && a.Len() > 0 {
		r.outputs = a.Len()
		r.labels = append([]string(nil), f.ClassifierLabels()...)
	}
	if r.kind == KindNone {
		r.kind = KindEmbedding // loaded with the pooling Config.Pooling chose (planPooling refuses none)
	}
	if t, ok := f.String(pair.TemplateKey); ok && t != "" {
		var err error
		if r.template, err = pair.ParseTemplate(t); err != nil {
			r.bad = fmt.Errorf("%w: %s: %s: %w", ErrModelLoad, cfg.ModelPath, pair.TemplateKey, err)
		}
	}
	// llama.cpp's build_pooling ends rank pooling with a softmax over the
	// outputs for these architectures (Qwen3-Reranker: P(yes)).
	r.softmax = arch == "qwen3" || arch == "qwen3vl"
	switch {
	case !r.rank:
	case r.softmax:
		r.scoring = "softmax in the graph: the first output's probability (no sigmoid)"
	case r.outputs == 1:
		r.scoring = "sigmoid of the single logit (Raw is llama.cpp's score)"
	default:
		r.scoring = "softmax over the outputs: the first one's probability (Raw is llama.cpp's score)"
	}
	meta := prompts.Meta{Architecture: arch}
	meta.Name, _ = f.String("general.name")
	meta.Basename, _ = f.String("general.basename")
	meta.Finetune, _ = f.String("general.finetune")
	fromGGUF := map[string]string{}
	for _, kv := range f.KV {
		if name, ok := strings.CutPrefix(kv.Key, prompts.GGUFPrefix); ok {
			if s, ok := kv.Value.(string); ok && validPromptName(name) {
				fromGGUF[name] = s
				if err := prompts.CheckGGUF(name, s); err != nil && r.bad == nil {
					r.bad = fmt.Errorf("%w: %s: %w", ErrModelLoad, cfg.ModelPath, err)
				}
			}
		}
	}
	r.prompts = prompts.Resolve(meta, fromGGUF, cfg.Prompts)
	return r
}

// describe fills the retrieval fields of ModelInfo.
func (r *retrieval) describe(info *ModelInfo) {
	info.Reranker, info.Scoring, info.DefaultPrompt = r.rank, r.scoring, r.defPrompt
	info.Kind, info.Labels = r.kind, append([]string(nil), r.labels...)
	info.Prompts = nil
	for _, n := range r.prompts.Names() {
		p := r.prompts[n]
		info.Prompts = append(info.Prompts, PromptInfo{Name: p.Name, Text: p.Text, Source: p.Source})
	}
}

// Rerankers run without flash attention on the CPU unless
// Config.FlashAttention asks for it (planModel): ggml's
// CPU flash-attention kernel accumulates values in F16, and a pair packed
// with others then scored differently from the same pair alone (measured
// on the bert-rerank-tiny fixture: logits moved by up to 0.007, 4% of
// one; without it packed and single scores agree to 1e-6). A reranker's
// single logit has no other components to average that out, as a
// vector's cosine does. Deterministic mode (the default) is what makes
// packed scores equal single-pair scores, bit for bit, with either
// kernel (each pair is evaluated alone); flash attention stays off at
// auto because llama.cpp casts an encoder's keys and values to F16 for
// it and the kernel accumulates in F16: packed, scores strayed past the
// 1e-3 that the golden tests (llama.cpp's scores without it) allow; one
// pair alone with it is not measured yet.
