package server

import (
	"crypto/subtle"
	"mime"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// route is one entry of the server's routing table.
type route struct {
	method string // GET routes also answer HEAD
	path   string // an http.ServeMux path pattern, without a method
	// auth requires the API key (when one is set); json requires an
	// application/json body (415 otherwise).
	auth, json bool
	// shape, when set, is the peer's error body: every error of the
	// path (401, 405, 415 and the handler's own) is answered in it.
	shape   errorShape
	handler http.HandlerFunc
}

// routes is the server's routing table: a new endpoint is one line here
// (and its request type in a file of its own). Every route with a body
// is a [Server.frame] around its decoder.
func (s *Server) routes() []route {
	return []route{
		{method: http.MethodPost, path: "/v1/embeddings", auth: true, json: true, handler: s.frame(decodeEmbeddings)},
		{method: http.MethodGet, path: "/v1/models", auth: true, handler: s.handleModels},
		{method: http.MethodGet, path: "/v1/models/{id}", auth: true, handler: s.handleModel},
		{method: http.MethodPost, path: "/v1/rerank", auth: true, json: true, handler: s.frame(jsonBody[rerankCall])},
		{method: http.MethodPost, path: "/rerank", auth: true, json: true, handler: s.frame(jsonBody[rerankCall])},
		{method: http.MethodPost, path: "/v1/reranking", auth: true, json: true, handler: s.frame(jsonBody[rerankCall])},
		{method: http.MethodPost, path: "/reranking", auth: true, json: true, handler: s.frame(jsonBody[rerankCall])},
		{method: http.MethodPost, path: "/tokenize", auth: true, json: true, handler: s.frame(jsonBody[tokenizeCall])},
		{method: http.MethodPost, path: "/detokenize", auth: true, json: true, handler: s.frame(jsonBody[detokenizeCall])},
		{method: http.MethodPost, path: "/v1/embeddings/chunks", auth: true, json: true, handler: s.frame(jsonBody[chunksCall])},
		{method: http.MethodPost, path: "/embeddings", auth: true, json: true, handler: s.frame(decodeEmbeddings)},
		{method: http.MethodGet, path: "/models", auth: true, handler: s.handleModels},
		{method: http.MethodGet, path: "/models/{id}", auth: true, handler: s.handleModel},
		{method: http.MethodPost, path: "/embed", auth: true, json: true, shape: teiError, handler: s.frame(strictBody[teiEmbedCall])},
		{method: http.MethodPost, path: "/embed_all", auth: true, json: true, shape: teiError, handler: s.frame(strictBody[teiEmbedAllCall])},
		{method: http.MethodGet, path: "/info", auth: true, shape: teiError, handler: s.handleTEIInfo},
		{method: http.MethodPost, path: "/api/embed", auth: true, json: true, shape: ollamaError, handler: s.frame(strictBody[ollamaEmbedCall])},
		{method: http.MethodPost, path: "/api/embeddings", auth: true, json: true, shape: ollamaError, handler: s.frame(strictBody[ollamaEmbeddingCall])},
		{method: http.MethodGet, path: "/api/tags", auth: true, shape: ollamaError, handler: s.handleOllamaTags},
		{method: http.MethodPost, path: "/api/show", auth: true, json: true, shape: ollamaError, handler: s.frame(strictBody[ollamaShowCall])},
		{method: http.MethodPost, path: "/v2/embed", auth: true, json: true, shape: cohereError, handler: s.frame(strictBody[cohereEmbedCall])},
		{method: http.MethodPost, path: "/v2/rerank", auth: true, json: true, shape: cohereError, handler: s.frame(jsonBody[cohereRerankCall])},
		{method: http.MethodPost, path: "/predict", auth: true, json: true, shape: teiError, handler: s.frame(jsonBody[predictCall])},
		{method: http.MethodPost, path: "/classify", auth: true, json: true, handler: s.frame(jsonBody[classifyCall])},
		{method: http.MethodGet, path: "/health", handler: s.handleHealth},
		{method: http.MethodGet, path: "/metrics", handler: promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}).ServeHTTP},
	}
}

// register installs routes: one handler per path, which dispatches on
// the method and answers 405 with Allow for the others; anything else
// is a 404 in the same error shape.
func (s *Server) register(routes []route) {
	byPath := map[string]map[string]http.HandlerFunc{}
	shapes := map[string]errorShape{}
	var order []string
	for _, rt := range routes {
		h := rt.handler
		if rt.json {
			h = s.requireJSON(h)
		}
		if rt.auth {
			h = s.auth(h)
		}
		if rt.shape != nil {
			shapes[rt.path] = rt.shape
		}
		if byPath[rt.path] == nil {
			byPath[rt.path] = map[string]http.HandlerFunc{}
			order = append(order, rt.path)
		}
		byPath[rt.path][rt.method] = h
		if rt.method == http.MethodGet {
			byPath[rt.path][http.MethodHead] = h
		}
	}
	for _, path := range order {
		methods := byPath[path]
		allow := allowHeader(methods)
		h := func(w http.ResponseWriter, r *http.Request) {
			if h, ok := methods[r.Method]; ok {
				h(w, r)
				return
			}
			w.Header().Set("Allow", allow)
			s.writeError(w, apiError(http.StatusMethodNotAllowed, "invalid_request_error", "method_not_allowed", "",
				"%s does not accept %s; use %s", r.URL.Path, r.Method, allow))
		}
		if shape := shapes[path]; shape != nil {
			h = s.speaks(shape, h)
		}
		s.mux.HandleFunc(path, h)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, apiError(http.StatusNotFound, "invalid_request_error", "not_found", "", "no route for %s %s", r.Method, r.URL.Path))
	})
}

// allowHeader lists methods in a fixed order.
func allowHeader(methods map[string]http.HandlerFunc) string {
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := methods[m]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// requireJSON refuses a body that is not application/json (in UTF-8):
// a web page can send the other types to a local server without a CORS
// preflight.
func (s *Server) requireJSON(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		cs, hasCharset := params["charset"]
		if err != nil || mt != "application/json" || hasCharset && !strings.EqualFold(cs, "utf-8") {
			s.writeError(w, apiError(http.StatusUnsupportedMediaType, "invalid_request_error", "unsupported_media_type", "",
				"the request body must be sent as Content-Type: application/json"))
			return
		}
		h(w, r)
	}
}

// auth requires the API key, when one is set.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.opts.APIKey == "" {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="embellama"`)
			s.writeError(w, apiError(http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "", "missing or invalid API key"))
			return
		}
		h(w, r)
	}
}

// authorized reports whether r carries the API key (or none is set). The
// scheme is case-insensitive (RFC 9110, section 11.1); the key is not.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), []byte(s.opts.APIKey)) == 1
}
