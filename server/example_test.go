package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/server"
)

// Mount the OpenAI-compatible API under a prefix of your own mux, next to
// your own routes.
func ExampleNew() {
	ctx := context.Background()
	cfg := embed.Config{ModelConfig: embed.ModelConfig{ModelPath: filepath.Join(os.Getenv("EMBELLAMA_MODELS"), "bert-mean.gguf")}}
	e, err := embed.New(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	// The server attaches its batch metrics to the engine, and /health
	// answers 200 as soon as the engine has a model.
	srv, err := server.New(server.Options{Engine: e, MaxInputs: 256})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/embeddings-api/", http.StripPrefix("/embeddings-api", srv))
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "hi") })
	ts := httptest.NewServer(mux) // http.ListenAndServe(addr, mux) in a real program
	defer ts.Close()

	res, err := http.Post(ts.URL+"/embeddings-api/v1/embeddings", "application/json",
		strings.NewReader(`{"model":"default","input":["hello world","another text"]}`))
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Status)
	for _, d := range body.Data {
		fmt.Println(d.Index, len(d.Embedding))
	}
	// Output:
	// 200 OK
	// 0 128
	// 1 128
}
