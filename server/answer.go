package server

import (
	"context"
	"net/http"
)

// pieceBatch is how many tokens [Server.pieces] asks the engine for at
// once: what it builds past the answer's limit before refusing it.
const pieceBatch = 1024

// answerLimit bounds the text of an answer built from token ids, which
// its body does not bound (an id of a few bytes may stand for hundreds
// of bytes of text): /detokenize's content and /tokenize's pieces, in
// bytes, summed. It is MaxBodyBytes, so that such an answer is at most
// as large as the largest body, as text (as JSON at most 6 times that,
// when every byte is a control character written \u00XX, with
// /tokenize's ~40 bytes per token around its pieces).
func (s *Server) answerLimit() int64 { return s.opts.MaxBodyBytes }

// answerTooLarge refuses an answer whose text would pass limit bytes.
func answerTooLarge(param string, limit int64) *APIError {
	return apiError(http.StatusRequestEntityTooLarge, "invalid_request_error", "answer_too_large", param,
		"the text of these tokens is more than %d bytes, the most this server answers (-max-body); send fewer tokens", limit)
}

// pieces returns the text of each of tokens, of model, when their bytes
// together are at most s.answerLimit(); otherwise the *APIError of
// answerTooLarge, before the rest is built. It asks the engine a batch
// at a time, each distinct id once (so a text of one id repeated costs
// one piece), and checks ctx between batches. With keep false it
// returns no pieces, only whether they fit.
func (s *Server) pieces(ctx context.Context, model string, tokens []int32, param string, keep bool) ([]string, error) {
	limit := s.answerLimit()
	known := map[int32]string{} // each held piece is counted in total at least once: the map is within the limit
	var out []string
	if keep {
		out = make([]string, 0, min(len(tokens), int(limit)))
	}
	var total int64
	for start := 0; start < len(tokens); start += pieceBatch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		batch := tokens[start:min(start+pieceBatch, len(tokens))]
		var ask []int32
		for _, t := range batch {
			if _, ok := known[t]; !ok {
				known[t] = ""
				ask = append(ask, t)
			}
		}
		if len(ask) > 0 {
			got, err := s.retriever.TokenPieces(model, ask)
			if err != nil {
				return nil, err
			}
			for i, t := range ask {
				known[t] = got[i]
			}
		}
		for _, t := range batch {
			if total += int64(len(known[t])); total > limit {
				return nil, answerTooLarge(param, limit)
			}
			if keep {
				out = append(out, known[t])
			}
		}
	}
	return out, nil
}
