package server_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/server"
)

// TestAPIKeyRefusedAtStart: a key with white space at either end or a
// control character (a key read from a secret file keeps its newline)
// could never be sent in an Authorization header as it is, so the server
// would answer 401 to everyone; New refuses it instead, naming the
// problem but not the key (issue 26.9).
func TestAPIKeyRefusedAtStart(t *testing.T) {
	for _, tt := range []struct {
		name, key string
		ok        bool
	}{
		{"none", "", true},
		{"plain", "s3cret", true},
		{"inner space", "two words", true},
		{"non-ASCII", "clé", true},
		{"leading space", " Zq7", false},
		{"trailing space", "Zq7 ", false},
		{"both", " Zq7 ", false},
		{"trailing newline", "Zq7\n", false},
		{"CRLF", "Zq7\r\n", false},
		{"leading tab", "\tZq7", false},
		{"NUL inside", "a\x00b", false},
		{"DEL inside", "a\x7fb", false},
		{"only spaces", "   ", false},
		{"non-breaking space at the end", "Zq7\u00a0", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := server.New(server.Options{Engine: newFake("default"), APIKey: tt.key})
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, server.ErrInvalidAPIKey)
			if len(strings.TrimSpace(tt.key)) > 1 {
				assert.NotContains(t, err.Error(), strings.TrimSpace(tt.key), "the key is not printed")
			}
		})
	}
}
