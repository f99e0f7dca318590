package server_test

import (
	"os"
	"testing"

	"github.com/embellama/embellama/internal/testenv"
)

// TestMain points the examples at the repository's lib/ and
// ../shared/models unless the environment already names them.
func TestMain(m *testing.M) {
	testenv.SetExampleEnv()
	os.Exit(m.Run())
}
