// Package libinstall installs the pinned prebuilt llama.cpp libraries
// (node-llama-cpp's npm packages, as platform.Pins lists them) without a
// shell: it runs `npm pack` through the npm client into one download
// cache, checks each tarball's sha256 against the pin, extracts it in Go
// keeping only the shared libraries and the licence, and writes a
// manifest of what it installed so that a second run, and `embellama lib
// verify`, can check the tree file by file.
//
// An installation is atomic: files are extracted into a temporary folder
// beside the destination and renamed into place only when every package
// verified, so a wrong checksum or a broken tarball leaves nothing behind.
package libinstall
