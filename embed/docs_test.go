package embed_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
)

// TestConfigurationDoc keeps docs/configuration.md in step with the code:
// every Config field and every environment variable is in its table.
func TestConfigurationDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "configuration.md"))
	require.NoError(t, err)
	doc := string(b)
	typ := reflect.TypeFor[embed.Config]()
	for i := range typ.NumField() {
		assert.Contains(t, doc, "| `"+typ.Field(i).Name+"` |", "Config.%s is documented", typ.Field(i).Name)
	}
	for _, v := range embed.EnvVars {
		row := "| `" + v.Field + "` | `" + v.Name + "` |"
		assert.True(t, strings.Contains(doc, row), "%s is documented as setting %s", v.Name, v.Field)
	}
}
