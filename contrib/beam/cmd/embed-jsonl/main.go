// Command embed-jsonl embeds a JSON-lines file on Apache Beam: each input
// line is {"id":"...","text":"..."}; each output line is
// {"id":"...","vector":[...]}; lines that cannot be embedded go to the
// dead-letter file with the reason. The runner is Beam's --runner flag
// (prism, Beam's default; direct; dataflow, flink, spark): see
// docs/beam.md. beamx registers those runners and the local and gs://
// filesystems.
//
//	embed-jsonl --model model.gguf --input in.jsonl --output out.jsonl --dead_letter failed.jsonl
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	embedbeam "github.com/embellama/embellama/contrib/beam"
)

var (
	model      = flag.String("model", "", "GGUF embedding model, a path on the workers (required)")
	lib        = flag.String("lib", "", "llama library file or directory on the workers (default: the engine's search)")
	backend    = flag.String("backend", "", "cpu, cuda, vulkan or metal (default: the engine's choice)")
	threads    = flag.Int("threads", 0, "CPU threads per worker process (default: physical cores)")
	batch      = flag.Int("batch", embedbeam.DefaultBatchSize, "texts per EmbedBatch call")
	input      = flag.String("input", "", "JSON-lines input file or glob (required)")
	output     = flag.String("output", "", "JSON-lines output of vectors (required)")
	deadLetter = flag.String("dead_letter", "", "JSON-lines output of the records that failed (required)")
)

func main() {
	flag.Parse()
	beam.Init()
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "embed-jsonl:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if *model == "" || *input == "" || *output == "" || *deadLetter == "" {
		return fmt.Errorf("--model, --input, --output and --dead_letter are required")
	}
	fn := embedbeam.EmbedFn{
		Config:    embedbeam.Config{ModelPath: *model, Library: *lib, Backend: *backend, Threads: *threads},
		BatchSize: *batch,
	}
	return beamx.Run(ctx, embedbeam.JSONL(fn, *input, *output, *deadLetter))
}
