package hub

// REVIEW TEST (h-review2): FAILS on the reviewed code. A Link header
// may carry several relation types in one rel (RFC 8288, 3.3:
// rel="prev next"); nextLink takes only rel="next" alone, so the
// listing silently ends after the first page and Choose picks from a
// partial listing, which the package says it never does.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReviewListFollowsMultiRelNext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("cursor") == "" {
			w.Header().Set("Link", `<?cursor=2>; rel="prev next"`)
			fmt.Fprint(w, `[{"type":"file","path":"m-Q4_0.gguf"}]`)
			return
		}
		fmt.Fprint(w, `[{"type":"file","path":"m-F16.gguf"}]`)
	}))
	defer srv.Close()
	entries, err := (&Lister{Base: srv.URL}).List(context.Background(), "o/r")
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the second page was not read: %v", entries)
}
