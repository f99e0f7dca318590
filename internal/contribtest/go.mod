module github.com/embellama/embellama/internal/contribtest

go 1.26.0

require github.com/embellama/embellama v0.0.0

require (
	github.com/ebitengine/purego v0.11.3 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/embellama/embellama => ../..
