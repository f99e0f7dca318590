package platform

import (
	"fmt"
	"strings"
)

// NotFoundError lists every path [Find] tried and says what to do. It
// matches [ErrLibraryNotFound] with [errors.Is].
type NotFoundError struct {
	// Tried lists every candidate, in order.
	Tried []string
	// Existing lists the candidates that exist but hold no llama library.
	Existing []string
	// Env names the environment variable that chose the place, or "".
	Env string
	// Explicit is set when an explicit path was searched.
	Explicit bool
	// Checkout is the root of the source checkout of the working
	// directory, or "".
	Checkout string
	// GOOS, GOARCH and Backend are what was searched for.
	GOOS, GOARCH string
	Backend      Backend
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%v for %s/%s/%s; tried: %s; %s", ErrLibraryNotFound,
		e.GOOS, e.GOARCH, backendOrCPU(e.Backend), strings.Join(e.Tried, ", "), e.Hint())
}

// Hint says what to do, for what was found.
func (e *NotFoundError) Hint() string {
	var exists string
	if len(e.Existing) > 0 {
		exists = fmt.Sprintf("%s exists but holds no llama library for %s; ", strings.Join(e.Existing, ", "), e.GOOS)
	}
	flags := ""
	if b := backendOrCPU(e.Backend); b != CPU {
		flags = " -backend " + b.String()
	}
	switch {
	case e.Explicit:
		return exists + "name a llama library file or the directory holding it"
	case e.Env != "":
		return fmt.Sprintf("%s%s names that place: unset it, or install there with `embellama lib install%s -dir $%s`",
			exists, e.Env, flags, e.Env)
	case e.Checkout != "":
		make := "make lib"
		if flags != "" {
			make += " BACKEND=" + backendOrCPU(e.Backend).String()
		}
		return fmt.Sprintf("%sin this checkout run `%s` (or `go run ./cmd/embellama lib install%s`)", exists, make, flags)
	}
	return fmt.Sprintf("%sinstall it with `embellama lib install%s` (get the command with `go install github.com/embellama/embellama/cmd/embellama@latest`), or set %s",
		exists, flags, EnvLibDir)
}

// Is reports whether target is [ErrLibraryNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrLibraryNotFound }

func backendOrCPU(b Backend) Backend {
	if b.IsZero() {
		return CPU
	}
	return b
}
