package hub_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/embellama/embellama/internal/hub"
)

// bodyTransport answers every request with body: List fuzzed without a
// network.
type bodyTransport string

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(string(b))), Request: r}, nil
}

// FuzzList: whatever the hub answers, List does not panic; it fails with
// one of its sentinels, or returns entries whose every name is a plain
// file name, and Choose on them picks a .gguf file of the listing whose
// name carries the format it reports, or fails with its sentinels.
func FuzzList(f *testing.F) {
	f.Add(`[{"type":"file","path":"m-Q8_0.gguf","size":1,"lfs":{"oid":"` + strings.Repeat("a", 64) + `","size":2}}]`)
	f.Add(`[{"type":"file","path":"../m-Q8_0.gguf"}]`)
	f.Add(`[{"type":"file","path":"a-q8_0.gguf"},{"type":"file","path":"b-Q8_0.gguf"}]`)
	f.Add(`[{"type":"directory","path":"x"},{"type":"file","path":"mmproj-F16.gguf"}]`)
	f.Add(`[{"type":"file","path":"m-F16.gguf"`)
	f.Add(`[] []`)
	f.Fuzz(func(t *testing.T, body string) {
		l := &hub.Lister{Base: "http://hub.test", Client: &http.Client{Transport: bodyTransport(body)}}
		entries, err := l.List(context.Background(), "o/r")
		if err != nil {
			if !errors.Is(err, hub.ErrListing) && !errors.Is(err, hub.ErrHostileName) && !errors.Is(err, hub.ErrTooLarge) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for _, e := range entries {
			if err := hub.CheckName(e.Path); err != nil {
				t.Fatalf("a listed name is hostile: %v", err)
			}
		}
		c, err := hub.Choose(entries, hub.Ranking{Published: []string{"q8_0", "f16"}, PublishedBelow: []string{"q4_0"}})
		if err != nil {
			if !errors.Is(err, hub.ErrNoModel) && !errors.Is(err, hub.ErrAmbiguous) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if !strings.HasSuffix(strings.ToLower(c.File.Name), ".gguf") || !strings.Contains(strings.ToUpper(c.File.Name), c.File.Format.Label) {
			t.Fatalf("chose %q as %s", c.File.Name, c.File.Format.Label)
		}
		for _, other := range c.Files {
			if c.File.Format.Type == "q4_0" && (other.Format.Type == "q8_0" || other.Format.Type == "f16") {
				t.Fatalf("chose a format below the bound over %s", other.Name)
			}
		}
	})
}

// FuzzClassify: a name classifies as at most one format, which it
// carries as a whole word, and only when it ends in .gguf.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"m-Q4_K_M.gguf", "m-bf16.gguf", "m-Q8_0-00001-of-00002.gguf", "x.gguf", "Q8_0.GGUF", "m-q8_0-f16.gguf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		fm, skip := hub.Classify(name)
		if skip != "" {
			if fm != (hub.Format{}) {
				t.Fatalf("skipped (%s) with a format %v", skip, fm)
			}
			return
		}
		if !strings.HasSuffix(strings.ToLower(name), ".gguf") || fm.Type == "" {
			t.Fatalf("%q classified as %v", name, fm)
		}
		if !strings.Contains(strings.ToUpper(name), fm.Label) {
			t.Fatalf("%q does not carry %s", name, fm.Label)
		}
	})
}
