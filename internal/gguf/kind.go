package gguf

// ClassifierLabelsKey is the key of a classification head's labels,
// after the architecture: llama.cpp sets n_cls_out to their number.
const ClassifierLabelsKey = ".classifier.output_labels"

// RerankTemplateKey is the key of the pair template rerankers converted by
// llama.cpp carry (Qwen3-Reranker).
const RerankTemplateKey = "tokenizer.chat_template.rerank"

// Model kinds, as [File.ModelKind] returns them.
const (
	KindEmbedding  = "embedding"
	KindReranker   = "reranker"
	KindClassifier = "classifier"
	// KindNone is a file that declares no pooling: a language model,
	// which embeds only with a pooling chosen for it.
	KindNone = "none"
)

// ClassifierLabels returns {arch}.classifier.output_labels, or nil.
func (f *File) ClassifierLabels() []string {
	a, ok := f.Array(f.Architecture() + ClassifierLabelsKey)
	if !ok {
		return nil
	}
	l, _ := a.Values.([]string)
	return l
}

// ModelKind tells what the file's model is for, from the facts llama.cpp
// reads: rank pooling with more than one output (one label each) and no
// rerank template is a sequence classifier (a converted
// *ForSequenceClassification with an id2label); other rank-pooled files
// are rerankers (one logit, or Qwen3-Reranker's "yes" and "no" rows, which
// come with a rerank template and a softmax in llama.cpp's graph); a
// declared sentence pooling is an embedding model; no pooling is
// [KindNone]. The engine ([embed.ModelInfo].Kind), the server's model list
// and embellama models all use it.
func (f *File) ModelKind() string {
	p, ok := f.PoolingType()
	switch {
	case !ok || p == PoolingNone:
		return KindNone
	case p != PoolingRank:
		return KindEmbedding
	}
	_, template := f.String(RerankTemplateKey)
	arch := f.Architecture()
	if len(f.ClassifierLabels()) > 1 && !template && arch != "qwen3" && arch != "qwen3vl" {
		return KindClassifier
	}
	return KindReranker
}
