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
// every Config field, every environment variable and every CLI flag of
// embed.Settings is in its table.
func TestConfigurationDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "docs", "configuration.md"))
	require.NoError(t, err)
	doc := string(b)
	typ := reflect.TypeFor[embed.Config]()
	for i := range typ.NumField() {
		assert.Contains(t, doc, "| `"+typ.Field(i).Name+"` |", "Config.%s is documented", typ.Field(i).Name)
	}
	for _, s := range embed.Settings() {
		row := "| `" + s.Field + "` | `" + s.Env + "` |"
		if s.Flag != "" {
			row += " `-" + s.Flag + "` |"
		}
		assert.True(t, strings.Contains(doc, row), "%s is documented as setting %s (flag %q)", s.Env, s.Field, s.Flag)
	}
}
