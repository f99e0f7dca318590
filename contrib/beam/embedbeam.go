// Package embedbeam embeds texts in bulk on Apache Beam with the
// embellama engine: [Embed] applies [EmbedFn] to a PCollection of [Text]
// and returns a PCollection of [Vector] and a dead-letter PCollection of
// [Failure], one per text the engine rejected (empty, invalid UTF-8, too
// long, ...), so one bad record never fails a bundle.
//
//	fn := embedbeam.EmbedFn{Config: embedbeam.Config{ModelPath: "/models/model.gguf"}}
//	vectors, failures := embedbeam.Embed(s, fn, texts)
//
// Each worker process opens the engine once (in Setup, shared by the
// process's DoFn instances, closed in the last Teardown) and every
// bundle's texts go to the engine through EmbedBatch, BatchSize texts at
// a time, so the engine packs them into full decodes. The native library
// and the model must be on the workers (see docs/beam.md).
//
// Vectors of a bundle are emitted when its batch is embedded, which may
// be in FinishBundle: use the transform in the global window (batch
// pipelines), or window after it.
package embedbeam

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/embellama/embellama/embed"
)

// Text is one input record.
type Text struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Vector is the embedding of the Text with the same ID.
type Vector struct {
	ID     string    `json:"id"`
	Vector []float32 `json:"vector"`
}

// Failure is a dead-letter record: the input that could not be embedded
// and why.
type Failure struct {
	ID    string `json:"id"`
	Text  string `json:"text"`
	Error string `json:"error"`
}

// Config says which engine the workers open. It is part of the DoFn, so
// it travels to the workers serialized: paths are paths on the workers.
type Config struct {
	// ModelPath is the GGUF model file; required.
	ModelPath string
	// Library is the llama library file or its directory. Default: the
	// engine's search ($EMBELLAMA_LIB_DIR, the executable's directory,
	// ./lib/<goos>-<goarch>-<backend>).
	Library string
	// Backend is cpu, cuda, vulkan or metal. Default: the engine's choice.
	Backend string
	// Threads is the engine's CPU thread budget. Default: the physical
	// cores of the worker.
	Threads int
}

// DefaultBatchSize is the number of texts per EmbedBatch call when
// EmbedFn.BatchSize is 0.
const DefaultBatchSize = 256

// EmbedFn is the DoFn of [Embed]. Exported fields are its serialized
// configuration.
type EmbedFn struct {
	Config Config
	// BatchSize is the most texts buffered before they are embedded in
	// one EmbedBatch call. Default: DefaultBatchSize.
	BatchSize int

	engine *embed.Engine
	buf    []Text
}

// Setup opens (or shares) the worker's engine.
func (f *EmbedFn) Setup(ctx context.Context) error {
	if f.Config.ModelPath == "" {
		return fmt.Errorf("embedbeam: Config.ModelPath is required")
	}
	e, err := acquire(ctx, f.Config)
	if err != nil {
		return err
	}
	f.engine = e
	return nil
}

// StartBundle empties the buffer.
func (f *EmbedFn) StartBundle(_ context.Context, _ func(Vector), _ func(Failure)) {
	f.buf = f.buf[:0]
}

// ProcessElement buffers in, and embeds the buffer when it is full.
func (f *EmbedFn) ProcessElement(ctx context.Context, in Text, emit func(Vector), dead func(Failure)) error {
	f.buf = append(f.buf, in)
	if len(f.buf) >= f.batchSize() {
		return f.flush(ctx, emit, dead)
	}
	return nil
}

// FinishBundle embeds what is left of the bundle.
func (f *EmbedFn) FinishBundle(ctx context.Context, emit func(Vector), dead func(Failure)) error {
	return f.flush(ctx, emit, dead)
}

// Teardown releases the worker's engine.
func (f *EmbedFn) Teardown() error {
	if f.engine == nil {
		return nil
	}
	f.engine = nil
	return release(f.Config)
}

func (f *EmbedFn) batchSize() int {
	if f.BatchSize > 0 {
		return f.BatchSize
	}
	return DefaultBatchSize
}

// flush embeds the buffer: a text the engine rejects goes to dead; an
// error of the whole call (a closed engine, a full queue, a canceled
// context) fails the bundle, for the runner to retry.
func (f *EmbedFn) flush(ctx context.Context, emit func(Vector), dead func(Failure)) error {
	if len(f.buf) == 0 {
		return nil
	}
	texts := make([]string, len(f.buf))
	for i, t := range f.buf {
		texts[i] = t.Text
	}
	r, err := f.embed(ctx, texts)
	if err != nil {
		return fmt.Errorf("embedbeam: embedding %d texts: %w", len(texts), err)
	}
	for i, t := range f.buf {
		if r.Errors[i] != nil {
			dead(Failure{ID: t.ID, Text: t.Text, Error: r.Errors[i].Error()})
			continue
		}
		emit(Vector{ID: t.ID, Vector: r.Vectors[i]})
	}
	f.buf = f.buf[:0]
	return nil
}

// embed is the one place that chooses between the query and the document
// path.
//
// PROMPTS: bulk embedding is the document side of a retrieval; the engine
// does not yet apply a model's document prompt, so texts are embedded as
// they are, through EmbedBatch. When the engine gains its document call,
// use it here.
func (f *EmbedFn) embed(ctx context.Context, texts []string) (*embed.Result, error) {
	return f.engine.EmbedBatch(ctx, "", texts)
}

// Embed embeds a PCollection<Text> with a copy of fn (its Config and
// BatchSize) and returns a PCollection<Vector> and the dead-letter
// PCollection<Failure>.
func Embed(s beam.Scope, fn EmbedFn, texts beam.PCollection) (vectors, failures beam.PCollection) {
	s = s.Scope("embellama.Embed")
	return beam.ParDo2(s, &EmbedFn{Config: fn.Config, BatchSize: fn.BatchSize}, texts)
}

// Registration is how Beam finds the DoFn and its types on a worker; it
// loads nothing.
func init() {
	register.DoFn4x1[context.Context, Text, func(Vector), func(Failure), error](&EmbedFn{})
	register.Emitter1[Vector]()
	register.Emitter1[Failure]()
}
