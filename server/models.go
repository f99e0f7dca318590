package server

import (
	"net/http"
	"os"
	"sort"

	"github.com/embellama/embellama/embed"
)

// ModelObject is an entry of GET /v1/models and the body of GET
// /v1/models/{id}: OpenAI's model object, with what the model is for
// (Kind: embedding, reranker or classifier, embed.ModelInfo.Kind), its
// vector size (embedding models only: a reranker's or classifier's
// outputs are scores), its class labels (classifiers), and its context
// length. Created is the model file's modification time (Unix seconds):
// when the file was made, stable across restarts; the server's start
// time for a model whose file cannot be read (an engine that is no file).
type ModelObject struct {
	ID      string   `json:"id"`
	Object  string   `json:"object"`
	Created int64    `json:"created"`
	OwnedBy string   `json:"owned_by"`
	Kind    string   `json:"kind"`
	Dim     int      `json:"dimensions,omitempty"`
	Labels  []string `json:"labels,omitempty"`
	Context int      `json:"context_length"`
	// AliasOf is the loaded model an alias (Options.Aliases) stands for.
	AliasOf string `json:"alias_of,omitempty"`
}

// model describes the model or alias id, or returns false.
func (s *Server) model(id string) (ModelObject, bool) {
	target := s.resolve(id)
	info, err := s.engine.ModelInfo(target)
	if err != nil || id == "" {
		return ModelObject{}, false
	}
	m := ModelObject{ID: id, Object: "model", OwnedBy: "embellama", Kind: string(info.Kind), Context: info.ContextSize,
		Created: s.created(info.Path)}
	switch info.Kind {
	case embed.KindReranker, embed.KindClassifier:
		m.Labels = info.Labels
	default:
		m.Dim = info.Dim
		if m.Kind == "" {
			m.Kind = string(embed.KindEmbedding) // an engine that does not say
		}
	}
	if target != id {
		m.AliasOf = target
	}
	return m, true
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	list := struct {
		Object string        `json:"object"`
		Data   []ModelObject `json:"data"`
	}{Object: "list", Data: []ModelObject{}}
	ids := s.engine.Models()
	aliases := make([]string, 0, len(s.opts.Aliases))
	for a := range s.opts.Aliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	for _, id := range append(ids, aliases...) {
		if m, ok := s.model(id); ok {
			list.Data = append(list.Data, m)
		}
	}
	writeJSON(w, http.StatusOK, list)
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if m, ok := s.model(id); ok {
		writeJSON(w, http.StatusOK, m)
		return
	}
	if s.loading(s.resolve(id)) {
		s.writeError(w, loadingError())
		return
	}
	s.writeError(w, s.unknownModel(id))
}

// handleHealth answers 200 when the server can serve every model it was
// told to expect, 503 (with Retry-After) while loading or shutting
// down. Model names are shown only to clients that may list them.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	status, code := "ok", http.StatusOK
	pending := s.pending()
	switch {
	case s.closing.Load():
		status, code = "shutting down", http.StatusServiceUnavailable
	case len(pending) > 0 || len(s.engine.Models()) == 0:
		status, code = "loading", http.StatusServiceUnavailable
	}
	body := map[string]any{"status": status}
	if s.authorized(r) {
		body["models"] = s.engine.Models()
		if len(pending) > 0 {
			body["loading"] = pending
		}
	}
	if code != http.StatusOK {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, code, body)
}

// created is a model's created time: its file's modification time, or
// the server's start when there is no file to read.
func (s *Server) created(path string) int64 {
	if fi, err := os.Stat(path); path != "" && err == nil {
		return fi.ModTime().Unix()
	}
	return s.started.Unix()
}
