package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/embellama/embellama/embed"
)

// This file is the one place where the library's errors become the words
// of the command line: flag names instead of Config fields, a hint that
// names the flag which helps, and no "embed: " package prefix after the
// "embellama COMMAND: " one (nor "platform: ", "gguf: " ...).

// configFlags maps the Config fields that have a flag to that flag, from
// the settings table.
var configFlags = func() map[string]string {
	m := map[string]string{}
	for _, s := range embed.Settings() {
		if s.Flag != "" {
			m[s.Field] = "-" + s.Flag
		}
	}
	return m
}()

// errorHints are what a CLI user does about each of the engine's errors,
// in the order they are tried (the first that matches wins).
var errorHints = []struct {
	err  error
	hint string
}{
	{embed.ErrNotEmbeddingModel, "set -pooling mean, cls or last to embed with it anyway"},
	{embed.ErrTooLong, "use -truncate end (without -chunk), or split the text"},
	{embed.ErrEmptyInput, "remove it, or pass -skip-empty to leave blank lines out"},
	{embed.ErrInvalidUTF8, "convert the input to UTF-8"},
	{embed.ErrNULByte, "remove the NUL bytes"},
	{embed.ErrModelNotFound, "give -model FILE, or run embellama pull"},
	{embed.ErrNotRegularFile, "give -model a GGUF file, not a pipe or device"},
	{embed.ErrMemoryLimit, "choose a smaller model or raise EMBELLAMA_MEMORY_LIMIT"},
	{embed.ErrOverloaded, "raise -max-queue or send fewer texts at once"},
}

// packagePrefix matches a Go package's prefix ("embed: ", "platform: ")
// at the start of the message or of one of its ": "-separated parts: the
// CLI user reads about the program, not its packages.
var packagePrefix = regexp.MustCompile(`(^|: )(embed|platform|llama|loader|gguf|download): `)

// configField matches "Config.Field" in a library message.
var configField = regexp.MustCompile(`Config\.([A-Z][A-Za-z]*)`)

// errorText returns err as a CLI user should read it.
func errorText(err error) string {
	if err == nil {
		return ""
	}
	if u, ok := err.(usageError); ok {
		err = u.err
	}
	if errs := joined(err); errs != nil {
		parts := make([]string, 0, len(errs))
		for _, e := range errs {
			parts = append(parts, errorText(e))
		}
		return strings.Join(parts, "; ")
	}
	if errors.Is(err, errInput) { // the reader's own words, already the CLI's
		return strings.TrimPrefix(err.Error(), errInput.Error()+": ")
	}
	var ie *embed.InputError
	if errors.As(err, &ie) {
		return inputErrorText(ie)
	}
	var ce *embed.ConfigError
	if errors.As(err, &ce) {
		return configErrorText(ce)
	}
	return withHint(err, cliWords(err.Error()))
}

// inputErrorText describes a failed input without its index: the caller
// names it by line or argument.
func inputErrorText(e *embed.InputError) string {
	msg := cliWords(e.Err.Error())
	if e.Limit > 0 {
		msg = fmt.Sprintf("%s: %d tokens, limit %d", msg, e.Tokens, e.Limit)
	}
	return withHint(e, msg)
}

// configErrorText names the flag (or the environment variable) that set
// the bad value.
func configErrorText(e *embed.ConfigError) string {
	if env, reason, ok := strings.Cut(e.Reason, ": "); ok && strings.HasPrefix(env, "EMBELLAMA_") {
		return fmt.Sprintf("%s=%v: %s", env, e.Value, reason)
	}
	name := configFlags[e.Field]
	if name == "" {
		name = "Config." + e.Field
	}
	return fmt.Sprintf("%s %v: %s", name, e.Value, cliWords(e.Reason))
}

// optionWords replaces the library's advice that names an option field
// (not a Config one) with the CLI's flag.
var optionWords = strings.NewReplacer("(set Overwrite to replace it)", "(-f overwrites it)")

// cliWords drops the package prefixes from msg and replaces the Config
// fields and options it names with their flags.
func cliWords(msg string) string {
	msg = optionWords.Replace(packagePrefix.ReplaceAllString(msg, "$1"))
	return configField.ReplaceAllStringFunc(msg, func(s string) string {
		if f := configFlags[strings.TrimPrefix(s, "Config.")]; f != "" {
			return f
		}
		return s
	})
}

// withHint appends the hint for err, replacing the library's own advice
// ("; set Config.Pooling ...") where it gave one.
func withHint(err error, msg string) string {
	for _, h := range errorHints {
		if !errors.Is(err, h.err) {
			continue
		}
		if i := strings.Index(msg, "; set -"); i >= 0 {
			msg = msg[:i]
		}
		return msg + " (" + h.hint + ")"
	}
	return msg
}

// joined returns the errors err was made of by errors.Join, or nil. An
// error of fmt.Errorf with several %w also unwraps to a list, but its
// text is one sentence, which is kept whole.
func joined(err error) []error {
	u, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return nil
	}
	errs := u.Unwrap()
	texts := make([]string, len(errs))
	for i, e := range errs {
		texts[i] = e.Error()
	}
	if strings.Join(texts, "\n") != err.Error() {
		return nil
	}
	return errs
}
