// Package platform decides which native llama.cpp library to load: the
// compute [Backend] (CPU, CUDA, Metal, Vulkan), the file names each
// operating system uses, and where to look for them.
//
// Discovery is a pure function of a [Search] value, so it is the same in
// tests and in production: [Search.Candidates] lists the directories to try,
// in order, and [Find] returns the first that holds a llama library, or an
// error listing every path it tried.
package platform
