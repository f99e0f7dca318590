package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in               string
		start, end, size int64
		ok               bool
	}{
		{"bytes 0-9/10", 0, 9, 10, true},
		{"bytes 5-9/*", 5, 9, -1, true},
		{"bytes */10", -1, -1, 10, true},
		{"bytes */*", 0, 0, 0, false},
		{"bytes 9-5/10", 0, 0, 0, false},
		{"items 0-9/10", 0, 0, 0, false},
		{"bytes 0-9", 0, 0, 0, false},
		{"bytes 0-9/-1", 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			start, end, size, ok := parseContentRange(tt.in)
			require.Equal(t, tt.ok, ok)
			if ok {
				assert.Equal(t, [3]int64{tt.start, tt.end, tt.size}, [3]int64{start, end, size})
			}
		})
	}
}

// TestGet: a download is renamed into place only once its checksum and
// the caller's validator accept it; otherwise the partial file is
// removed and nothing is left at the destination.
func TestGet(t *testing.T) {
	body := []byte("the file's bytes")
	sum := sha256.Sum256(body)
	good := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"`+good+`"`)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	refuse := errors.New("not a model")
	tests := []struct {
		name     string
		want     string
		validate func(string) error
		err      error
	}{
		{"announced checksum", "", nil, nil},
		{"given checksum", good, nil, nil},
		{"wrong checksum", hex.EncodeToString(make([]byte, 32)), nil, ErrChecksum},
		{"validator refuses", "", func(string) error { return refuse }, refuse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "f.gguf")
			err := (&Downloader{Validate: tt.validate}).Get(context.Background(), srv.URL, dst, tt.want)
			_, partErr := os.Stat(dst + ".part")
			assert.True(t, os.IsNotExist(partErr), "no partial file is left")
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				_, statErr := os.Stat(dst)
				assert.True(t, os.IsNotExist(statErr), "nothing at the destination")
				return
			}
			require.NoError(t, err)
			got, err := os.ReadFile(dst)
			require.NoError(t, err)
			assert.Equal(t, body, got)
		})
	}
}
