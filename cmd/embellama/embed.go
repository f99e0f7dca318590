package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/embellama/embellama/embed"
)

// embedJob is one run of embed once its flags and inputs are read: the
// records to embed and where the output goes.
type embedJob struct {
	ef             *engineFlags
	fs             *flag.FlagSet
	recs           []record
	format, output string
	inputs         []string // the files the output may not overwrite: the model and -file
	stdout, stderr io.Writer
}

func runEmbed(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("embed", "[TEXT...]  (no TEXT: -file, or one text per line of standard input)", stderr)
	ef := addEngineFlags(fs, engineUse{calls: true, prompts: true})
	file := fs.String("file", "", "read texts from `path` (- for standard input): one per line, or JSON Lines (see -input)")
	var in inputFlags
	in.add(fs, "text")
	skipEmpty := fs.Bool("skip-empty", false, "leave blank lines out (no row; ids still count them) instead of giving each an error row")
	format := fs.String("format", "array", "output: array (a JSON array per line, null for a failed input), jsonl ({\"id\",\"embedding\"} or {\"id\",\"error\"} per line) or npy (float32 matrix)")
	output := fs.String("o", "-", "write the output to `path` (- for standard output)")
	ef.ret.addChunkFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := ef.ret.checkChunking(fs); err != nil {
		return err
	}
	recs, err := readTexts(fs.Args(), *file, stdin, &in, *skipEmpty)
	if err != nil {
		return err
	}
	if !slices.Contains([]string{"array", "jsonl", "npy"}, *format) {
		return usageError{fmt.Errorf("unknown -format %q (want array, jsonl or npy)", *format)}
	}
	job := &embedJob{ef: ef, fs: fs, recs: recs, format: *format, output: *output, stdout: stdout, stderr: stderr}
	check := func(cfg embed.Config) error {
		if err := ef.ret.checkChunkContext(cfg.ContextSize); err != nil {
			return err // -ctx or $EMBELLAMA_CTX: known before loading
		}
		job.inputs = []string{cfg.ModelPath, *file}
		return checkOutput(job.output, job.inputs...)
	}
	return ef.runEngine(stderr, check, job.run)
}

// run embeds the records with e and writes them: chunk by chunk with
// -chunk, else all of them once every one is embedded.
func (j *embedJob) run(ctx context.Context, e *embed.Engine) error {
	ret := &j.ef.ret
	if info, err := e.ModelInfo(""); err == nil {
		if err := ret.checkChunkContext(info.ContextSize); err != nil {
			return err
		}
		ret.notePromptAbsent(j.stderr, info)
	}
	opts := append([]embed.Option{embed.WithDimensions(j.ef.dims)}, ret.options(j.fs)...)
	if ret.chunk > 0 {
		out, err := openOutput(j.output, j.stdout, j.inputs...)
		if err != nil {
			return err
		}
		err = embedChunks(ctx, e, j.recs, ret, opts, out)
		if err == nil && reportFailures(j.stderr, "embed", j.recs) > 0 {
			err = errReported // the other lines' chunks were written
		}
		return out.finish(err)
	}
	if len(j.recs) > 1 && isTerminal(j.stderr) {
		bar := &progressBar{w: j.stderr, start: time.Now()}
		opts = append(opts, embed.WithProgress(bar.update))
	}
	if err := embedRecords(ctx, e, j.recs, opts...); err != nil {
		return err
	}
	failed := reportFailures(j.stderr, "embed", j.recs)
	if failed > 0 && j.format == "npy" {
		return fmt.Errorf("%d of %d inputs failed; npy has no row for them, so nothing was written (use -format jsonl to keep the others)", failed, len(j.recs))
	}
	out, err := openOutput(j.output, j.stdout, j.inputs...)
	if err != nil {
		return err
	}
	err = writeOutput(out, j.format, j.recs)
	if err == nil && failed > 0 {
		err = errReported
	}
	return out.finish(err)
}

// readTexts returns embed's inputs: the TEXT arguments args, or the lines
// of the file (standard input for "" or "-") read as in says.
func readTexts(args []string, file string, stdin io.Reader, in *inputFlags, skipEmpty bool) ([]record, error) {
	switch {
	case len(args) > 0 && file != "":
		return nil, usageError{errors.New("give TEXT arguments or -file, not both")}
	case len(args) > 0 && in.given():
		return nil, usageError{errors.New("-field and -input read lines of -file or standard input, not TEXT arguments")}
	case len(args) > 0:
		return argRecords(args, skipEmpty), nil
	}
	recs, err := readFileInputs(file, stdin, in, skipEmpty)
	if err != nil {
		return nil, err
	}
	if !hasText(recs) {
		return nil, usageError{errors.New("no text given: pass TEXT arguments, -file, or lines on standard input")}
	}
	return recs, nil
}

// readFileInputs reads the records of the file at path (standard input
// for "" or "-") as in says.
func readFileInputs(path string, stdin io.Reader, in *inputFlags, skipEmpty bool) ([]record, error) {
	r, name := stdin, ""
	if path != "" && path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r, name = f, path
	}
	o, err := in.options(name, skipEmpty)
	if err != nil {
		return nil, err
	}
	return readInputs(r, o)
}
