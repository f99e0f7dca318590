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
	// CLI and CLIPath are [Search.CLI] and [Search.CLIPath]: who
	// searched, and the embellama command beside it.
	CLI     bool
	CLIPath string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%v for %s/%s/%s; tried: %s; %s", ErrLibraryNotFound,
		e.GOOS, e.GOARCH, backendOrCPU(e.Backend), strings.Join(e.Tried, ", "), e.Hint())
}

// Hint says what to do, for what was found and for who searched: the
// embellama command is told about `embellama lib install`; a Go program
// about install.Library, which it can call itself, and about `embellama lib
// install` only when an embellama command is beside it ([Search.CLIPath]).
// A Go program's user may have no embellama command and no checkout:
// advice to `go install` one would not help them.
func (e *NotFoundError) Hint() string {
	var exists string
	if len(e.Existing) > 0 {
		exists = fmt.Sprintf("%s exists but holds no llama library for %s; ", strings.Join(e.Existing, ", "), e.GOOS)
	}
	if e.Backend == Native && !e.Explicit && e.Env == "" {
		return exists + "build it for this CPU with `embellama lib build` (it needs CMake and a C++ compiler)"
	}
	flags := ""
	if b := backendOrCPU(e.Backend); b != CPU {
		flags = " -backend " + b.String()
	}
	switch {
	case e.Explicit:
		return exists + "name a llama library file or the directory holding it"
	case e.Env != "" && e.CLI:
		return fmt.Sprintf("%s%s names that place: unset it, or install there with `embellama lib install%s -dir $%s`",
			exists, e.Env, flags, e.Env)
	case e.Env != "":
		return fmt.Sprintf("%s%s names that place: unset it, or install there from the program with %s and Options.LibDir set to $%s%s",
			exists, e.Env, e.api(), e.Env, e.beside(flags+" -dir $"+e.Env))
	case e.Checkout != "":
		make := "make lib"
		if flags != "" {
			make += " BACKEND=" + backendOrCPU(e.Backend).String()
		}
		return fmt.Sprintf("%sin this checkout run `%s` (or `go run ./cmd/embellama lib install%s`)", exists, make, flags)
	case e.CLI:
		return fmt.Sprintf("%sinstall it with `embellama lib install%s`, or set %s", exists, flags, EnvLibDir)
	}
	return fmt.Sprintf("%sinstall it from the program with %s%s, or set %s", exists, e.api(), e.beside(flags), EnvLibDir)
}

// installAPI is the Go call that installs the pinned library, as the
// not-found error of a Go program names it.
const installAPI = "install.Library (package github.com/embellama/embellama/install)"

// api names [installAPI], with the backend's option when it is not CPU.
func (e *NotFoundError) api() string {
	if b := backendOrCPU(e.Backend); b != CPU {
		name := map[Backend]string{CUDA: "CUDA", Metal: "Metal", Vulkan: "Vulkan"}[b]
		return fmt.Sprintf("%s with Options{Backend: platform.%s}", installAPI, name)
	}
	return installAPI
}

// beside names the embellama command beside a Go program, if any.
func (e *NotFoundError) beside(args string) string {
	if e.CLIPath == "" {
		return ""
	}
	return fmt.Sprintf(" (or run `%s lib install%s`)", e.CLIPath, args)
}

// Is reports whether target is [ErrLibraryNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrLibraryNotFound }

func backendOrCPU(b Backend) Backend {
	if b.IsZero() {
		return CPU
	}
	return b
}
