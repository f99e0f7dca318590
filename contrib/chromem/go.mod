module github.com/embellama/embellama/contrib/chromem

go 1.26.0

require (
	github.com/embellama/embellama v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/ebitengine/purego v0.11.3 // indirect
	github.com/philippgille/chromem-go v0.7.0
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/embellama/embellama => ../..
