package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/embellama/embellama/embed"
)

// TestErrorText: library errors reach the CLI user in the CLI's words,
// without a second "embed: " after "embellama embed: ". The errors are
// built as the engine builds them (see embed/model.go, config.go).
func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"too long names -truncate",
			&embed.InputError{Index: 0, Tokens: 2002, Limit: 512, Err: embed.ErrTooLong},
			"input too long: 2002 tokens, limit 512 (use -truncate end (without -chunk), or split the text)"},
		{"empty input names -skip-empty",
			&embed.InputError{Index: 3, Err: embed.ErrEmptyInput},
			"empty input (remove it, or pass -skip-empty to leave blank lines out)"},
		{"no pooling names -pooling, not Config.Pooling",
			fmt.Errorf("%w: %s (%s) declares no pooling; set Config.Pooling (mean, cls or last) to embed with it anyway", embed.ErrNotEmbeddingModel, "m.gguf", "llama"),
			"not an embedding model: m.gguf (llama) declares no pooling (set -pooling mean, cls or last to embed with it anyway)"},
		{"model not found",
			fmt.Errorf("%w: %s", embed.ErrModelNotFound, "/x.gguf"),
			"model file not found: /x.gguf (give -model FILE, or run embellama pull)"},
		{"not a regular file keeps its path",
			fmt.Errorf("%w: %w: %s (%v)", embed.ErrModelLoad, embed.ErrNotRegularFile, "/tmp/fifo", "p---------"),
			"cannot load model: not a regular file: /tmp/fifo (p---------) (give -model a GGUF file, not a pipe or device)"},
		{"a config field becomes its flag",
			&embed.ConfigError{Field: "ContextSize", Value: 3, Reason: "want 0 (default) or 8 to 1048576"},
			"-ctx 3: want 0 (default) or 8 to 1048576"},
		{"a config field set by the environment names the variable",
			&embed.ConfigError{Field: "ContextSize", Value: "abc", Reason: "EMBELLAMA_CTX: not an integer"},
			"EMBELLAMA_CTX=abc: not an integer"},
		{"a field without a flag keeps its name",
			&embed.ConfigError{Field: "UBatchSize", Value: 1, Reason: "want 0 (default) or 8 to 1048576"},
			"Config.UBatchSize 1: want 0 (default) or 8 to 1048576"},
		{"joined errors are each mapped",
			usageError{errors.Join(
				&embed.ConfigError{Field: "ContextSize", Value: 3, Reason: "too small"},
				&embed.ConfigError{Field: "Threads", Value: -1, Reason: "too few"})},
			"-ctx 3: too small; -threads -1: too few"},
		{"a wrapped error loses the inner prefix",
			fmt.Errorf("model %s: %w", "qwen", fmt.Errorf("%w: %q", embed.ErrModelExists, "qwen")),
			`model qwen: model name already in use: "qwen"`},
		{"every package prefix goes",
			fmt.Errorf("%w: %w", embed.ErrLibrary, errors.New("platform: llama library not found; tried: /a")),
			"native library unusable: llama library not found; tried: /a"},
		{"a gguf defect keeps its words",
			fmt.Errorf("%w: %s: %w", embed.ErrModelLoad, "/m.gguf", errors.New("gguf: bad magic, not a GGUF file")),
			"cannot load model: /m.gguf: bad magic, not a GGUF file"},
		{"other errors pass unchanged", errors.New("open x: permission denied"), "open x: permission denied"},
		{"the input reader's errors are already in CLI words", errInputf("not valid UTF-8"), "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorText(tt.err)
			assert.Equal(t, tt.want, got)
			assert.NotRegexp(t, `(^|: )(embed|platform|llama|loader|gguf): `, got, "no package prefix")
			assert.NotContains(t, got, "Config.Pooling")
		})
	}
	assert.Empty(t, errorText(nil))
}

// TestErrorHintsMatch: every row of the hint table is reached by the
// error it names (none is shadowed by an earlier row).
func TestErrorHintsMatch(t *testing.T) {
	for _, h := range errorHints {
		assert.NotNil(t, h.err)
		assert.NotEmpty(t, h.hint)
		assert.Contains(t, errorText(fmt.Errorf("%w: detail", h.err)), "("+h.hint+")")
	}
}
