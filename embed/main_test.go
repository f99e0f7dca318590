package embed_test

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestMain points the examples, which find the library and models as a
// user's program would, at the repository's lib/ and ../shared/models
// unless the environment already names them.
func TestMain(m *testing.M) {
	if wd, err := os.Getwd(); err == nil {
		root := filepath.Dir(wd)
		if os.Getenv("EMBELLAMA_LIB_DIR") == "" {
			os.Setenv("EMBELLAMA_LIB_DIR", filepath.Join(root, "lib", runtime.GOOS+"-"+runtime.GOARCH+"-cpu"))
		}
		if os.Getenv("EMBELLAMA_MODELS") == "" {
			os.Setenv("EMBELLAMA_MODELS", filepath.Join(root, "..", "shared", "models"))
		}
	}
	os.Exit(m.Run())
}
