package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"text/tabwriter"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

func runInfo(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", "", stderr)
	// info shows the pooling, the prompts and the sizes a model would run
	// with; it embeds nothing, so -normalize, -truncate and -max-queue,
	// which act on calls, would do nothing.
	ef := addEngineFlags(fs, engineUse{prompts: true, skip: []string{"normalize", "truncate", "max-queue"}})
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	envModel := cfg.ModelPath // $EMBELLAMA_MODEL: loaded below, as -model is
	// Every flag applies, as embed's do: the engine takes -lib and
	// -backend, the model loaded below the others.
	if err := ef.apply(&cfg); err != nil {
		return usageError{err}
	}
	flagModel := ""
	if ef.flag("model") != "" {
		flagModel = cfg.ModelPath
	}
	if ef.verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	requested := cfg.Backend
	cfg.ModelPath = ""
	e, err := embed.New(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer e.Close()
	lib := e.Library()
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "library\t%s\n", lib.Path())
	hw := platform.ProbeHardware(runtime.GOOS, runtime.GOARCH)
	if requested.IsZero() {
		fmt.Fprintf(w, "backend choice\tautomatic: tried %v in that order (NVIDIA driver %v, GPU render node %v); the first installed wins\n",
			platform.Preferred(hw), hw.NVIDIADriver, hw.GPURenderNode)
	} else {
		fmt.Fprintf(w, "backend choice\t%s, as configured\n", requested)
	}
	fmt.Fprintf(w, "backend in use\t%s\n", e.Backend())
	nativeLine(w)
	if why := e.Fallback(); why != "" {
		fmt.Fprintf(w, "fallback\t%s\n", why)
	}
	fmt.Fprintf(w, "llama.cpp\t%s\n", lib.Version())
	fmt.Fprintf(w, "ggml backends\t%v\n", lib.Backends())
	if v := lib.CPUVariant(); v != "" {
		fmt.Fprintf(w, "CPU variant\t%s (the best ggml found for this CPU)\n", v)
	}
	fmt.Fprintf(w, "CPU features\t%s\n", lib.SystemInfo())
	if !e.Backend().GPU() {
		fastestFormat(w, lib.SystemInfo())
	}
	rec, probed, recErr := readAutoRecord()
	fmt.Fprintf(w, "auto choice\t%s\n", autoRecordLine(rec, recErr, probed))
	fmt.Fprintf(w, "physical cores\t%d (default threads)\n", platform.PhysicalCores())
	for i, d := range lib.Devices() {
		mem := ""
		if d.MemoryTotal > 0 {
			mem = fmt.Sprintf(", %s free of %s", human(d.MemoryFree, 1024, "B"), human(d.MemoryTotal, 1024, "B"))
		}
		fmt.Fprintf(w, "device %d\t%s (%s, %s%s)\n", i, d.Name, d.Description, d.Type, mem)
	}
	modelPath, source, err := infoModel(flagModel, envModel)
	if err != nil {
		fmt.Fprintf(w, "model\tnone: %s\n", errorText(err))
	}
	if modelPath != "" {
		mc := cfg.ModelConfig
		mc.ModelPath = modelPath
		if err := e.LoadModel(context.Background(), "model", mc); err != nil {
			return err
		}
		info, _ := e.ModelInfo("model")
		printModel(w, info, source)
		if m := readModelFacts(modelPath); m.description != "" {
			fmt.Fprintf(w, "  description\t%s\n", firstLine(m.description))
			if m.fixture() {
				fmt.Fprintf(w, "  warning\ta test fixture with random weights: its vectors carry no meaning\n")
			}
		}
	}
	return w.Flush()
}

// printModel adds a loaded model's description to info's table.
func printModel(w *tabwriter.Writer, info embed.ModelInfo, source string) {
	fmt.Fprintf(w, "model\t%s (%s)\n", info.Path, source)
	fmt.Fprintf(w, "  architecture\t%s (%s attention)\n", info.Architecture, map[bool]string{true: "causal", false: "bidirectional"}[info.Causal])
	fmt.Fprintf(w, "  dimensions\t%d\n", info.Dim)
	fmt.Fprintf(w, "  pooling\t%s (declared: %s)\n", info.Pooling, info.DeclaredPooling)
	fmt.Fprintf(w, "  context\t%d tokens (trained: %d)\n", info.ContextSize, info.TrainedContext)
	fmt.Fprintf(w, "  quantization\t%s, %s parameters, %s\n", info.FileType, human(info.Parameters, 1000, ""), human(uint64(info.FileSize), 1024, "B"))
	fmt.Fprintf(w, "  tokenizer\t%s, %d tokens\n", info.Tokenizer, info.VocabSize)
	fmt.Fprintf(w, "  batch\t%d tokens (target %d), %d sequences, %d threads over %d contexts\n", info.BatchSize, info.BatchTarget, info.MaxSequences, info.Threads, info.Contexts)
	fmt.Fprintf(w, "  attention\theads of %d values, flash attention %s\n", info.HeadSize, info.FlashAttention)
	printRetrieval(w, info)
}

// infoModel returns the model info describes and where it came from: the
// -model flag, $EMBELLAMA_MODEL, or the default embed would use.
func infoModel(flagModel, envModel string) (path, source string, err error) {
	switch {
	case flagModel != "":
		return flagModel, "-model", nil
	case envModel != "":
		return envModel, "$EMBELLAMA_MODEL", nil
	}
	path, err = defaultModel()
	return path, "the default: the first embedding model found", err
}

// nativeLine adds where the library built for this CPU (`lib build`) is
// and how much faster it measured than the prebuilt one, or how to build
// one.
func nativeLine(w io.Writer) {
	s := platform.DefaultSearch("", platform.Native, runtime.GOOS, runtime.GOARCH)
	found, _, err := platform.FindFirst(s, []platform.Backend{platform.Native})
	if err != nil {
		fmt.Fprintf(w, "native build\tnone (embellama lib build compiles llama.cpp for this CPU; docs/performance.md)\n")
		return
	}
	note := nativeNote(found.Dir)
	if note == "" {
		note = "not measured"
	}
	fmt.Fprintf(w, "native build\t%s: %s\n", found.Dir, note)
}
