// Package prompts holds the named prompts (instructions) embedding models
// expect in front of a text: a query prefix and a document prefix, per
// model family. A model's prompts come from three places, later ones
// winning name by name: the built-in table of known families (matched by
// the GGUF's general.* metadata, each entry with its source), the GGUF
// itself (string keys embellama.prompt.<name>; no converter of the pinned
// llama.cpp writes prompts, so only files a user tagged carry them), and
// configuration.
package prompts

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Standard prompt names.
const (
	Query    = "query"
	Document = "document"
)

// GGUFPrefix is the prefix of GGUF string keys that carry prompts:
// embellama.prompt.query, embellama.prompt.document, ...
const GGUFPrefix = "embellama.prompt."

// MaxGGUFBytes bounds a prompt a GGUF carries. A prompt goes in front of
// every text it is applied to, so the model file, which is not a trusted
// input, must not make each of them megabytes long; the built-in prompts
// are under 200 bytes, and instructions of a few sentences fit many
// times over. Configured prompts are the operator's and are not bounded.
const MaxGGUFBytes = 4 << 10

// Errors.
var (
	// ErrUnknown reports a prompt name a model has no prompt for.
	ErrUnknown = errors.New("prompts: unknown prompt name")
	// ErrTooLong reports a GGUF prompt over [MaxGGUFBytes]: the model
	// file is refused.
	ErrTooLong = errors.New("prompts: GGUF prompt too long")
)

// CheckGGUF refuses a prompt from a GGUF longer than [MaxGGUFBytes] with
// [ErrTooLong] and its length.
func CheckGGUF(name, text string) error {
	if len(text) > MaxGGUFBytes {
		return fmt.Errorf("%w: %s%s has %d bytes, at most %d", ErrTooLong, GGUFPrefix, name, len(text), MaxGGUFBytes)
	}
	return nil
}

// Meta is what a family is recognized by: the GGUF's
// general.architecture, general.name, general.basename and
// general.finetune.
type Meta struct {
	Architecture, Name, Basename, Finetune string
}

// Family is one entry of the built-in table.
type Family struct {
	// Name names the family, such as "e5".
	Name string
	// Architectures, when set, restrict the match to these
	// general.architecture values.
	Architectures []string
	// Pattern is matched, case-insensitively, against general.name,
	// general.basename and general.finetune.
	Pattern *regexp.Regexp
	// Prompts are the prefixes by name.
	Prompts map[string]string
	// Source says where the prompts come from.
	Source string
}

// Matches reports whether m is a model of family f.
func (f Family) Matches(m Meta) bool {
	if len(f.Architectures) > 0 && !contains(f.Architectures, m.Architecture) {
		return false
	}
	if f.Pattern == nil {
		return true
	}
	for _, s := range []string{m.Name, m.Basename, m.Finetune} {
		if s != "" && f.Pattern.MatchString(strings.ToLower(s)) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Prompt is a named prefix and where it comes from.
type Prompt struct {
	Name, Text string
	// Source is "config", "gguf", or "built-in <family>: <source>".
	Source string
}

// Set is a model's prompts by name.
type Set map[string]Prompt

// FamilyOf returns the first built-in family that matches m.
func FamilyOf(m Meta) (Family, bool) {
	for _, f := range Builtin() {
		if f.Matches(m) {
			return f, true
		}
	}
	return Family{}, false
}

// Resolve returns a model's prompts: those of its built-in family, then
// those its GGUF carries (fromGGUF, by name), then the configured ones
// (overrides, by name), each replacing the one before it of the same
// name. An override with an empty text removes that prompt.
func Resolve(m Meta, fromGGUF, overrides map[string]string) Set {
	s := Set{}
	if f, ok := FamilyOf(m); ok {
		for name, text := range f.Prompts {
			s[name] = Prompt{Name: name, Text: text, Source: "built-in " + f.Name + ": " + f.Source}
		}
	}
	for name, text := range fromGGUF {
		s[name] = Prompt{Name: name, Text: text, Source: "gguf"}
	}
	for name, text := range overrides {
		if text == "" {
			delete(s, name)
			continue
		}
		s[name] = Prompt{Name: name, Text: text, Source: "config"}
	}
	return s
}

// Apply returns text with the prompt named name in front; the empty name
// applies none. A name the set lacks gives [ErrUnknown], except "query"
// and "document", which a model without such prompts applies as nothing.
func (s Set) Apply(name, text string) (string, error) {
	if name == "" {
		return text, nil
	}
	p, ok := s[name]
	if !ok {
		if name == Query || name == Document {
			return text, nil
		}
		return "", fmt.Errorf("%w: %q (the model has %s)", ErrUnknown, name, s.namesText())
	}
	return p.Text + text, nil
}

// Names returns the prompt names, sorted.
func (s Set) Names() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s Set) namesText() string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s.Names(), ", ")
}

// ParseOverride parses a configured prompt, name=text.
func ParseOverride(s string) (name, text string, err error) {
	name, text, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t\n=,") {
		return "", "", fmt.Errorf("prompts: %q is not name=text", s)
	}
	return name, text, nil
}
