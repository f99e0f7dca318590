package embed_test

import (
	"os"
	"testing"

	"github.com/embellama/embellama/internal/testenv"
)

// TestMain points the examples at the repository's lib/ and
// ../shared/models unless the environment already names them, and runs
// the child side of TestExtremeSettings when asked to.
func TestMain(m *testing.M) {
	testenv.SetExampleEnv()
	if spec := os.Getenv(envExtremes); spec != "" {
		os.Exit(runExtremesChild(spec))
	}
	os.Exit(m.Run())
}
