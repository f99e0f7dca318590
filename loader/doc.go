// Package loader opens native shared libraries and binds their C functions
// to Go function variables, without cgo.
//
// On Linux, macOS and FreeBSD it uses [github.com/ebitengine/purego]'s
// dlopen/dlsym; on Windows it uses LoadLibraryEx and GetProcAddress from
// [golang.org/x/sys/windows]. Calls are then made through
// [github.com/ebitengine/purego.RegisterFunc] on every platform.
//
// Nothing happens at import: a library is opened only by [Open]. Binding a
// whole table with [Library.Bind] reports every missing symbol in one
// [*MissingSymbolsError] instead of stopping at the first, and never panics:
// a signature purego cannot call is reported as an error too.
package loader
