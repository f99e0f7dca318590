// Package install installs the pinned native llama.cpp library from a Go
// program, as `embellama lib install` does from the command line: an
// application can do it in its own set-up step, or on first start, so
// that its users need neither the embellama command nor a checkout.
//
// [Library] downloads the library package(s) that platform.Pins lists for
// the running operating system, architecture and backend, checks each
// against its pinned sha256, and installs the shared libraries into the
// user library folder (platform.UserLibDir), where embed.Open looks for
// them. It shares the command's code, download cache and checks: the
// packages are fetched with `npm pack` through the npm client (Node.js
// must be installed), and the files are swapped into place only when
// every package verified.
//
// embed.Open and embed.New never download anything: a program that
// wants the library installed calls [Library] itself, before them.
package install
