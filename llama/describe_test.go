package llama

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/loader"
)

func TestLibraryString(t *testing.T) {
	lib := &Library{path: "/opt/lib/libllama.so", dir: "/opt/lib", version: "0.5.0", llama: &loader.Library{}, ggml: &loader.Library{}}
	for _, format := range []string{"%v", "%s", "%+v"} {
		got := fmt.Sprintf(format, lib)
		assert.Equal(t, "/opt/lib/libllama.so (llama.cpp 0.5.0)", got, format)
		assert.NotContains(t, got, "0x", "no raw pointers")
	}
	var none *Library
	assert.Equal(t, "no llama library", none.String())
}
