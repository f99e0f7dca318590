package server

import (
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/jsonread"
)

// maxEcho bounds a client's value quoted back in an error message.
const maxEcho = 256

// quote quotes s for an error message, cut at a character boundary to
// maxEcho bytes with an ellipsis: a client's 10 MB name does not come
// back as a 10 MB error.
func quote(s string) string {
	if len(s) <= maxEcho {
		return strconv.Quote(s)
	}
	return strconv.Quote(cut(s, maxEcho)) + "…"
}

// cut returns the longest prefix of s of at most n bytes that ends at a
// character boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// common holds the fields that the routes' requests share, each where
// its route takes it: one validation ([Server.check]) and one
// translation into engine options hold for every route, so that a
// check written once holds everywhere.
type common struct {
	model      string
	promptName *string // nil: the model's default prompt
	encoding   *string // nil: the route returns no vectors
	dimensions *int
	// dimensionsParam names the dimensions field in errors
	// ("dimensions" when empty; Cohere's is output_dimension).
	dimensionsParam string
	truncate        bool
	chunking        *ChunkSettings // nil: the route does not chunk
	// addSpecial and parseSpecial are /tokenize's flags.
	addSpecial, parseSpecial bool
	// input names the param of the request's texts in errors about one
	// of them (input, documents, content); text, the param of a
	// call-level text error (rerank's query), input when empty.
	input, text string
	// whole: the request's input is one value (detokenize's token list),
	// which errors name as a whole, not as input[0].
	whole bool
	// fromStart: truncate drops the start of a text, not its end
	// (TEI's truncation_direction "Left", Cohere's truncate "START").
	fromStart bool
	// normalize: nil the model's normalization; false none (TEI's
	// normalize).
	normalize *bool
	// maxTokens lowers the most tokens of one input (Cohere's
	// max_tokens); 0: the model's context.
	maxTokens int
}

// call is a request whose common fields passed [Server.check]: the model
// resolved, the engine's options, and how vectors are written.
type call struct {
	common
	resolved string
	opts     []embed.Option
	chunk    embed.ChunkOptions
	tokenize embed.TokenizeOptions
	encode   vecEncoder
}

// check validates c, before anything is evaluated: its fields alone
// (validate), then against the model: one that is loaded (503 while it
// loads, 404 when unknown), with at least the dimensions asked for and
// a context that holds the chunks asked for. It is the request frame's
// model resolution, and builds the engine's options (options).
func (s *Server) check(c common) (*call, *APIError) {
	if c.text == "" {
		c.text = c.input
	}
	if e := c.validate(); e != nil {
		return nil, e
	}
	k := &call{common: c, encode: appendFloats}
	if c.encoding != nil {
		k.encode = encodings[*c.encoding]
	}
	k.resolved = s.resolve(c.model)
	if s.loading(k.resolved) {
		return nil, loadingError()
	}
	if c.dimensions != nil {
		info, err := s.engine.ModelInfo(k.resolved)
		if err != nil {
			return nil, s.errorFor(err, k)
		}
		if *c.dimensions > info.Dim {
			return nil, badRequest(c.dimensionsName(), "%s %d is more than the model's %d", c.dimensionsName(), *c.dimensions, info.Dim)
		}
	}
	if c.chunking != nil {
		if e := s.checkChunking(k, *c.chunking); e != nil {
			return nil, e
		}
	}
	s.options(k)
	return k, nil
}

// validate checks c's fields alone: names no longer than any other
// field's (jsonread.MaxFieldBytes), a known encoding, positive dimensions.
func (c common) validate() *APIError {
	for _, f := range []struct {
		param string
		value *string
	}{{"model", &c.model}, {"prompt_name", c.promptName}, {"encoding_format", c.encoding}} {
		if f.value != nil && len(*f.value) > jsonread.MaxFieldBytes {
			return badRequest(f.param, "%s is longer than %d bytes", f.param, jsonread.MaxFieldBytes)
		}
	}
	if c.encoding != nil {
		if _, ok := encodings[*c.encoding]; !ok {
			return badRequest("encoding_format", "encoding_format must be %s, not %s", encodingNames, quote(*c.encoding))
		}
	}
	if c.dimensions != nil && *c.dimensions < 1 {
		return badRequest(c.dimensionsName(), "%s must be a positive integer, not %d", c.dimensionsName(), *c.dimensions)
	}
	return nil
}

// checkChunking refuses chunk settings that cannot work on c's model:
// a size below 1 or past the model's context (a chunk, and for late
// chunking the document holding it, must fit the context), or an
// overlap outside [0, size). The engine checks the prompt's share.
func (s *Server) checkChunking(c *call, cs ChunkSettings) *APIError {
	if cs.Size < 1 || cs.Overlap < 0 || cs.Overlap >= cs.Size {
		return badRequest("chunking", "chunking.size %d and chunking.overlap %d: want 0 <= overlap < size", cs.Size, cs.Overlap)
	}
	info, err := s.engine.ModelInfo(c.resolved)
	if err != nil {
		return s.errorFor(err, c)
	}
	if cs.Size > info.ContextSize {
		return badRequest("chunking", "chunking.size %d is more than the model's context of %d tokens", cs.Size, info.ContextSize)
	}
	return nil
}

// options is the one builder of the engine's options, for every route:
// the per-call options of k, the chunk options of a route that chunks,
// and the options of /tokenize. The limits are the engine's per-call options, checked once,
// after tokenizing and before anything is queued (token ids were also
// counted while they were decoded, so an oversized id array is refused
// before it is held).
func (s *Server) options(k *call) {
	c := k.common
	k.tokenize = embed.TokenizeOptions{AddSpecial: c.addSpecial, ParseSpecial: c.parseSpecial}
	if c.promptName != nil {
		k.tokenize.Prompt = *c.promptName
	}
	if c.chunking != nil {
		k.chunk = embed.ChunkOptions{Size: c.chunking.Size, Overlap: c.chunking.Overlap, Late: c.chunking.Late}
	}
	opts := []embed.Option{embed.WithMaxInputs(s.opts.MaxInputs)}
	if s.opts.MaxRequestTokens > 0 {
		opts = append(opts, embed.WithMaxTotalTokens(s.opts.MaxRequestTokens))
	}
	if c.dimensions != nil {
		opts = append(opts, embed.WithDimensions(*c.dimensions))
	}
	if c.promptName != nil {
		opts = append(opts, embed.WithPrompt(*c.promptName))
	}
	if c.truncate {
		t := embed.TruncateEnd
		if c.fromStart {
			t = embed.TruncateStart
		}
		opts = append(opts, embed.WithTruncation(t))
	}
	if c.maxTokens > 0 {
		opts = append(opts, embed.WithMaxTokens(c.maxTokens))
	}
	if c.normalize != nil && !*c.normalize {
		opts = append(opts, embed.WithNormalization(embed.NormalizeNone))
	}
	k.opts = opts
}

// checkInputs refuses, with 413, more than MaxInputs texts under param,
// or one longer than MaxInputBytes, before any of them is tokenized.
func (s *Server) checkInputs(param string, texts ...string) *APIError {
	if len(texts) > s.opts.MaxInputs {
		return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "too_many_inputs", param,
			"%d items in %s; this server accepts at most %d", len(texts), param, s.opts.MaxInputs)
	}
	for _, t := range texts {
		if len(t) > s.opts.MaxInputBytes {
			return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "input_too_large", param,
				"a text of %d bytes; this server accepts at most %d bytes per text (-max-input-bytes)", len(t), s.opts.MaxInputBytes)
		}
	}
	return nil
}

// dimensionsName is the request's name for the dimensions field.
func (c *common) dimensionsName() string {
	if c.dimensionsParam != "" {
		return c.dimensionsParam
	}
	return "dimensions"
}
