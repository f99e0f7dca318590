package prompts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/embellama/embellama/internal/prompts"
)

// FuzzApply checks the prompt fill and the parsing of configured prompts
// on any input:
//
//   - neither panics;
//   - a prompt is a prefix: Apply gives the prompt's text followed by the
//     text verbatim, len(prompt)+len(text) bytes, whatever either spells
//     ("{query}", "{task}" and the like are never filled);
//   - an unknown name other than query and document is ErrUnknown, and
//     those two apply nothing when the model lacks them;
//   - ParseOverride splits at the first '=', accepts a name (trimmed)
//     without space, tab, newline or ',', and gives back the text after
//     the '=' untrimmed.
func FuzzApply(f *testing.F) {
	for _, s := range [][3]string{
		{"query", "search_query: ", "what do llamas eat?"},
		{"document", "Instruct: {task}\nQuery:{query}", "{query}{document}"},
		{"classification", "", "text"},
		{"query", "query: ", ""},
		{"x y", "p", "t"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, name, prompt, text string) {
		set := prompts.Resolve(prompts.Meta{}, nil, map[string]string{name: prompt})
		got, err := set.Apply(name, text)
		switch p, ok := set[name]; {
		case name == "":
			if err != nil || got != text {
				t.Fatalf("the empty name applied %q, %v", got, err)
			}
		case ok:
			if err != nil || got != p.Text+text || len(got) != len(p.Text)+len(text) {
				t.Fatalf("Apply(%q, %q) = %q, %v; want the prompt %q then the text", name, text, got, err, p.Text)
			}
		case name == prompts.Query || name == prompts.Document:
			if err != nil || got != text {
				t.Fatalf("a missing %s prompt applied %q, %v", name, got, err)
			}
		default:
			if !errors.Is(err, prompts.ErrUnknown) {
				t.Fatalf("unknown prompt %q: %v", name, err)
			}
		}
		line := name + "=" + text
		before, after, _ := strings.Cut(line, "=")
		trimmed := strings.TrimSpace(before)
		valid := trimmed != "" && !strings.ContainsAny(trimmed, " \t\n=,")
		n, txt, err := prompts.ParseOverride(line)
		if valid != (err == nil) {
			t.Fatalf("ParseOverride(%q): %v, valid name %v", line, err, valid)
		}
		if err == nil && (n != trimmed || txt != after) {
			t.Fatalf("ParseOverride(%q) = %q, %q", line, n, txt)
		}
	})
}
