package embed

import (
	"context"
	"slices"
)

// The retrieval calls of a model handle: reranking, prompts, chunks and
// the tokenizer.

// Rerank scores how relevant each document is to query with a reranker
// (a model with rank pooling). The pair is laid out as llama.cpp's server
// does: the GGUF's rerank template when it has one (its markers filled in
// one pass: the texts are never read as template), otherwise
// BOS query EOS SEP document EOS as the vocabulary adds them. Special
// tokens are parsed in the template's own text only: a query or document
// that spells one ("<|im_end|>") is tokenized as text. A model whose
// template holds more than 4 markers of a kind, or whose GGUF prompts are
// longer than 4 KiB, is refused at load ([ErrModelLoad]). Pairs are
// packed into decodes like embeddings. A pair longer than the context
// follows the truncation option (WithTruncation, Config.Truncate): the end
// of the document is cut, never the query; without truncation it fails
// alone with [ErrTooLong] and its token count. An empty or
// whitespace-only document fails alone with [ErrEmptyInput]. Only
// WithTruncation, WithProgress, WithMaxInputs and WithMaxTotalTokens
// (the pairs' tokens together) apply; any other option is
// [ErrInvalidOption].
//
// The query is tokenized alone once per call, and refused when it does
// not fit before any document is read. With a template, each pair's text
// is then tokenized whole, the query included (tokens merge across the
// template's text, so the query's own tokens cannot stand in for it): a
// long query costs once per document. The documents are tokenized
// with the context checked between them: a cancelled call returns ctx's
// error promptly.
//
// The error is for the call: [ErrNotReranker], [ErrNoInput],
// [ErrInvalidOption], [ErrTooManyInputs], a query that is invalid or
// alone too long ([ErrTooLong]), or the errors of [Model.EmbedBatch].
func (h *Model) Rerank(ctx context.Context, query string, docs []string, opts ...Option) (*RerankResult, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.rerank(ctx, query, docs, opts)
}

// EmbedQuery embeds a search query with the model's query prompt.
func (h *Model) EmbedQuery(ctx context.Context, query string, opts ...Option) ([]float32, error) {
	return h.Embed(ctx, query, append(slices.Clip(opts), WithPrompt(PromptQuery))...)
}

// EmbedDocuments embeds documents with the model's document prompt.
func (h *Model) EmbedDocuments(ctx context.Context, docs []string, opts ...Option) (*Result, error) {
	return h.EmbedBatch(ctx, docs, append(slices.Clip(opts), WithPrompt(PromptDocument))...)
}

// EmbedChunks splits each document into chunks of co.Size tokens that
// overlap by co.Overlap tokens, cut preferably at paragraph, then
// sentence, then line ends, and returns a vector per chunk with the
// chunk's exact byte offsets. Options apply as in [Model.EmbedBatch]
// (a prompt is put in front of every chunk), except that WithMaxInputs
// bounds both the documents and their chunks together (the vectors of
// the call): a call over it is [ErrTooManyInputs] naming the document
// whose chunks crossed it, found while chunking, before anything is
// evaluated; and that WithTruncation is [ErrInvalidOption]:
// chunks fit by construction. Late chunks are means of token vectors:
// WithPooling is refused for them too, and WithMaxTokens bounds each
// document with its prompt and special tokens. The documents of a late
// call are evaluated together, sharing decodes; progress counts the
// chunks, or the documents of a late call. A document that cannot be chunked or
// embedded fails alone, in Errors: a document of white space only (or of
// characters without tokens) with [ErrEmptyInput], one with a character
// longer than Size tokens with [ErrInvalidChunking]. White space between
// words belongs to the chunks around it; only where it fits in no chunk
// beside a word (a run of white space tokens longer than Size) is it in
// no chunk. When ctx is done, EmbedChunks stops chunking and evaluating
// and returns ctx's error.
func (h *Model) EmbedChunks(ctx context.Context, docs []string, co ChunkOptions, opts ...Option) (*ChunkResult, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.embedChunks(ctx, docs, co, opts)
}

// TokenizeWith returns the tokens of text as o says, without truncation.
// Errors: [ErrInvalidUTF8], [ErrNULByte], [ErrUnknownPrompt], or those of
// the model lookup.
func (h *Model) TokenizeWith(text string, o TokenizeOptions) ([]int32, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.tokenizeWith(text, o)
}

// Detokenize returns the text of tokens. unparseSpecial renders special
// tokens as their text ("[CLS]"); otherwise they give nothing. A token
// outside the vocabulary is [ErrInvalidToken].
func (h *Model) Detokenize(tokens []int32, unparseSpecial bool) (string, error) {
	l, err := h.resolve()
	if err != nil {
		return "", err
	}
	return l.detokenize(tokens, unparseSpecial)
}

// TokenPieces returns the text of each token alone, special tokens
// rendered (llama.cpp's with_pieces). A piece may be part of a UTF-8
// character.
func (h *Model) TokenPieces(tokens []int32) ([]string, error) {
	l, err := h.resolve()
	if err != nil {
		return nil, err
	}
	return l.tokenPieces(tokens)
}
