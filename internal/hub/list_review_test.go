package hub

// Regression tests of review round 6 (docs/reviews/round6.md); they failed before its fixes. A Link header
// may carry several relation types in one rel (RFC 8288, 3.3:
// rel="prev next"); nextLink takes only rel="next" alone, so the
// listing silently ends after the first page and Choose picks from a
// partial listing, which the package says it never does.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
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

// Names Windows cannot create, and names whose download's ".part" name
// would pass the file system's 255 bytes, are refused; their neighbours
// are not.
func TestCheckNamePortable(t *testing.T) {
	for name, bad := range map[string]bool{
		"NUL.Q8_0.gguf": true, "con.gguf": true, "COM1 .gguf": true, "lpt9.x.gguf": true,
		"a*b.gguf": true, "a?b.gguf": true, `a"b.gguf`: true, "a<b.gguf": true, "a|b.gguf": true,
		strings.Repeat("a", 246) + ".gguf": true, strings.Repeat("a", 245) + ".gguf": false,
		"NULL.gguf": false, "console.gguf": false, "COM10.gguf": false, "m#x;y%41-Q8_0.gguf": false,
	} {
		err := CheckName(name)
		if bad {
			assert.ErrorIs(t, err, ErrHostileName, "%q", name)
		} else {
			assert.NoError(t, err, "%q", name)
		}
	}
}
