package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHasLoneSurrogate(t *testing.T) {
	tests := []struct {
		body string
		want bool
	}{
		{`{"query":"a"}`, false},
		{`{"query":"\ud83d\ude00"}`, false},
		{`{"query":"\u00e9\n\\u"}`, false},
		{`{"query":"\\ud800"}`, false},
		{`{"query":"\ud800"}`, true},
		{`{"query":"\ud800x"}`, true},
		{`{"query":"\udc00"}`, true},
		{`{"query":"\ud800\u0041"}`, true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, hasLoneSurrogate([]byte(tt.body)), tt.body)
	}
}
