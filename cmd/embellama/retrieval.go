package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/internal/outfile"
)

// retrievalFlags are the per-call prompt and the chunking flags of the
// commands that run an engine (the model's prompts are settings of
// embed.Settings).
type retrievalFlags struct {
	name           string
	chunk, overlap int
	late           bool
}

// addPromptName adds -prompt-name, an option of each call.
func (r *retrievalFlags) addPromptName(fs *flag.FlagSet) {
	fs.StringVar(&r.name, "prompt-name", "", "apply the model's prompt of this `name` (query, document, ...) to every text; query and document on a model without them leave the texts as given (with a note), another unknown name is an error")
}

// notePromptAbsent says on w when -prompt-name names a standard prompt
// ("query", "document") the model does not have. That is meaningful, not
// an error: a symmetric model (bge-m3, all-MiniLM) embeds queries and
// documents alike, so one command line serves every model; any other
// name the model lacks is an error (embed.ErrUnknownPrompt).
func (r *retrievalFlags) notePromptAbsent(w io.Writer, info embed.ModelInfo) {
	if r.name != embed.PromptQuery && r.name != embed.PromptDocument {
		return
	}
	for _, p := range info.Prompts {
		if p.Name == r.name {
			return
		}
	}
	fmt.Fprintf(w, "embellama embed: note: the model has no %q prompt; texts are embedded as given (-prompt %s=TEXT defines one)\n", r.name, r.name)
}

// addChunkFlags adds the flags of embed's chunking.
func (r *retrievalFlags) addChunkFlags(fs *flag.FlagSet) {
	fs.IntVar(&r.chunk, "chunk", 0, "split each text into chunks of at most `n` tokens, one vector per chunk with its byte offsets (JSON lines)")
	fs.IntVar(&r.overlap, "overlap", 0, "with -chunk: at most `tokens` each chunk shares with the one before (the words at the edge decide)")
	fs.BoolVar(&r.late, "late", false, "with -chunk: late chunking, each chunk pooled from the whole text's token vectors")
}

// checkChunking refuses chunking flags out of range (as
// embed.EmbedChunks would, but only once the model is loaded and the
// input read), and -overlap or -late without -chunk and -format with it,
// which would do nothing.
func (r *retrievalFlags) checkChunking(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	switch {
	case r.chunk < 0 || given["chunk"] && r.chunk == 0:
		return usageError{fmt.Errorf("-chunk %d: want a chunk size of at least 1 token", r.chunk)}
	case r.chunk == 0 && (given["overlap"] || r.late):
		return usageError{errors.New("-overlap and -late apply to chunks: give -chunk too")}
	case r.chunk > 0 && given["format"]:
		return usageError{errors.New("-format does not apply with -chunk, which writes a JSON line per chunk")}
	case r.chunk > 0 && given["truncate"]:
		return usageError{errors.New("-truncate does not apply with -chunk: chunks fit the context by construction, and late chunking needs the whole document")}
	case r.overlap < 0 || r.overlap >= max(r.chunk, 1):
		return usageError{fmt.Errorf("-overlap %d: want 0 to -chunk minus one (%d)", r.overlap, r.chunk-1)}
	}
	return nil
}

// checkChunkContext refuses a chunk size above the context of contextSize
// tokens (0: not known yet): no chunk could ever be that long, and the
// library's own check (size plus prompt and special tokens) must not be
// reached with a size whose sum overflows.
func (r *retrievalFlags) checkChunkContext(contextSize int) error {
	if contextSize > 0 && r.chunk > contextSize {
		return usageError{fmt.Errorf("-chunk %d: chunks must fit the model's context of %d tokens", r.chunk, contextSize)}
	}
	return nil
}

// options returns the per-call options of the flags.
func (r *retrievalFlags) options(fs *flag.FlagSet) []embed.Option {
	var opts []embed.Option
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "prompt-name" {
			opts = append(opts, embed.WithPrompt(r.name))
		}
	})
	return opts
}

// chunkRecord is one output line of embed -chunk.
type chunkRecord struct {
	ID        json.RawMessage `json:"id"`
	Chunk     int             `json:"chunk"`
	Start     int             `json:"start"`
	End       int             `json:"end"`
	Tokens    int             `json:"tokens"`
	Overlap   int             `json:"overlap"`
	Text      string          `json:"text"`
	Embedding []float32       `json:"embedding"`
}

// embedChunks embeds the chunks of every record that was read without
// error and writes them as JSON lines, in order. A record that fails (a
// blank or invalid line, or the engine's refusal) gets one error line,
// {"id":…,"error":"line N: …"}, in its place and its err set, as embed
// without -chunk does; the others still get their chunks.
func embedChunks(ctx context.Context, e *embed.Engine, recs []record, r *retrievalFlags, opts []embed.Option, out io.Writer) error {
	texts, index := readable(recs)
	var chunks []embed.Chunk
	if len(texts) > 0 {
		res, err := e.EmbedChunks(ctx, "", texts, embed.ChunkOptions{Size: r.chunk, Overlap: r.overlap, Late: r.late}, opts...)
		if errors.Is(err, embed.ErrInvalidChunking) {
			return usageError{err} // the flags, such as a chunk that fits only without its prompt
		}
		if err != nil {
			return err
		}
		for j, err := range res.Errors {
			recs[index[j]].err = err
		}
		chunks = res.Chunks
	}
	doc := make([]int, len(recs)) // recs[i] is texts[doc[i]]
	for j, i := range index {
		doc[i] = j
	}
	enc := json.NewEncoder(out)
	next := 0 // the first chunk not written
	for i, rec := range recs {
		if rec.err != nil {
			if err := enc.Encode(errorRow{ID: rec.id, Error: rec.failure()}); err != nil {
				return err
			}
			continue
		}
		for ; next < len(chunks) && chunks[next].Doc == doc[i]; next++ {
			c := chunks[next]
			row := chunkRecord{ID: rec.id, Chunk: c.Index, Start: c.Start, End: c.End, Tokens: c.Tokens,
				Overlap: c.Overlap, Text: rec.text[c.Start:c.End], Embedding: c.Vector}
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
	}
	return nil
}

// errorRow is the output line of an input that failed, in the JSON
// Lines outputs.
type errorRow struct {
	ID    json.RawMessage `json:"id"`
	Error string          `json:"error"`
}

// printRetrieval adds a model's prompts and reranking to info's table.
func printRetrieval(w *tabwriter.Writer, info embed.ModelInfo) {
	if info.Reranker {
		fmt.Fprintf(w, "  reranker\tyes: score = %s\n", info.Scoring)
	}
	if len(info.Prompts) == 0 {
		fmt.Fprintf(w, "  prompts\tnone (texts are embedded as given)\n")
	}
	for _, p := range info.Prompts {
		def := ""
		if p.Name == info.DefaultPrompt {
			def = ", the default"
		}
		fmt.Fprintf(w, "  prompt %s\t%q (%s%s)\n", p.Name, p.Text, strings.TrimSpace(p.Source), def)
	}
}

// output is where a command writes: standard output, or a file written
// beside its path and renamed over it only on success (internal/outfile),
// so a failed or interrupted run leaves the path as it was.
type output struct {
	io.Writer
	f *outfile.File
}

// openOutput opens path for writing, or returns stdout for "-". A path
// that holds anything but a regular file, or that is one of inputs (the
// model, the input file), is refused.
func openOutput(path string, stdout io.Writer, inputs ...string) (*output, error) {
	if path == "-" {
		return &output{Writer: stdout}, nil
	}
	f, err := outfile.Create(path, inputs...)
	if err != nil {
		return nil, fmt.Errorf("-o: %w", err)
	}
	return &output{Writer: f, f: f}, nil
}

// checkOutput refuses, before any work, an output path openOutput would
// refuse.
func checkOutput(path string, inputs ...string) error {
	if path == "-" {
		return nil
	}
	if err := outfile.Check(path, inputs...); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}

// finish renames the file over its path when the command wrote it all
// (err is nil or errReported: the failed inputs were reported and the
// others written), and otherwise removes it.
func (o *output) finish(err error) error {
	if o.f == nil {
		return err
	}
	if err != nil && !errors.Is(err, errReported) {
		o.f.Abort()
		return err
	}
	if cerr := o.f.Commit(); cerr != nil {
		return fmt.Errorf("-o: %w", cerr)
	}
	return err
}
