package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// TestUBatchAboveBatchRefused: EMBELLAMA_UBATCH above the batch size
// (here the planned one, the context of 512 rounded) is refused at load,
// as documented, instead of being lowered without a word.
func TestUBatchAboveBatchRefused(t *testing.T) {
	lib := testenv.Library(t)
	for _, model := range []string{"qwen3-last-tiny", "bert-mean-tiny"} {
		t.Run(model, func(t *testing.T) {
			t.Setenv("EMBELLAMA_UBATCH", "8192")
			code, _, stderr := runCLI(t, "", "embed", "-lib", lib, "-model", testenv.Fixture(t, model), "-ctx", "512", "hello")
			assert.Equal(t, exitFailure, code, stderr)
			assert.Contains(t, stderr, "UBatchSize")
			assert.Contains(t, stderr, "at most the batch size (512)")
		})
	}
}

// TestFlagsFromSettings: every flag of embed.Settings is defined, with
// the table's help, variable and default (no second table in the CLI),
// and the error texts name the same flags.
func TestFlagsFromSettings(t *testing.T) {
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	addEngineFlags(fs, engineUse{prompts: true})
	for _, s := range embed.Settings() {
		if s.Flag == "" {
			continue
		}
		fl := fs.Lookup(s.Flag)
		require.NotNil(t, fl, "-%s", s.Flag)
		assert.Contains(t, fl.Usage, s.Doc, s.Field)
		if s.Env != "" {
			assert.Contains(t, fl.Usage, "$"+s.Env, s.Field)
		}
		if s.Field != "ModelPath" {
			assert.Contains(t, fl.Usage, strings.ReplaceAll(s.Default, "`", ""), s.Field)
		}
		assert.Equal(t, "-"+s.Flag, configFlags[s.Field])
	}
}

// TestSearchHelpFromSearchCode: -lib's help is the library search's own
// description (the user library folder included), and -model's the
// CLI's model search path, which does not search ../shared/models.
func TestSearchHelpFromSearchCode(t *testing.T) {
	t.Setenv(envModels, "")
	fs := flag.NewFlagSet("embed", flag.ContinueOnError)
	addEngineFlags(fs, engineUse{})
	lib := fs.Lookup("lib").Usage
	assert.Contains(t, lib, platform.DescribeSearch())
	assert.Contains(t, lib, "<user cache>/embellama/lib/<os>-<arch>-<backend>")
	model := fs.Lookup("model").Usage
	dir, err := pullDir()
	require.NoError(t, err)
	assert.Contains(t, model, dir)
	assert.Contains(t, model, "$"+envModels)
	assert.NotContains(t, model, "shared")
}
