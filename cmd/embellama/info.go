package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"text/tabwriter"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

func runInfo(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("info", "", stderr)
	ef := addEngineFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	var cfg embed.Config
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return err
	}
	if ef.lib != "" {
		cfg.Library = ef.lib
	}
	if ef.backend != "" {
		if err := cfg.Backend.UnmarshalText([]byte(ef.backend)); err != nil {
			return usageError{err}
		}
	}
	requested := cfg.Backend
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
	if why := e.Fallback(); why != "" {
		fmt.Fprintf(w, "fallback\t%s\n", why)
	}
	fmt.Fprintf(w, "llama.cpp\t%s\n", lib.Version())
	fmt.Fprintf(w, "ggml backends\t%v\n", lib.Backends())
	if v := lib.CPUVariant(); v != "" {
		fmt.Fprintf(w, "CPU variant\t%s (the best ggml found for this CPU)\n", v)
	}
	fmt.Fprintf(w, "CPU features\t%s\n", lib.SystemInfo())
	if e.Backend() == platform.CPU {
		fastestFormat(w, lib.SystemInfo())
	}
	fmt.Fprintf(w, "physical cores\t%d (default threads)\n", platform.PhysicalCores())
	for i, d := range lib.Devices() {
		mem := ""
		if d.MemoryTotal > 0 {
			mem = fmt.Sprintf(", %s free of %s", human(d.MemoryFree, 1024, "B"), human(d.MemoryTotal, 1024, "B"))
		}
		fmt.Fprintf(w, "device %d\t%s (%s, %s%s)\n", i, d.Name, d.Description, d.Type, mem)
	}
	if ef.model != "" {
		mc := cfg
		mc.ModelPath = ef.model
		if ef.pooling != "" {
			if err := mc.Pooling.UnmarshalText([]byte(ef.pooling)); err != nil {
				return usageError{err}
			}
		}
		if err := e.LoadModel(context.Background(), "model", mc); err != nil {
			return err
		}
		info, _ := e.ModelInfo("model")
		fmt.Fprintf(w, "model\t%s\n", info.Path)
		fmt.Fprintf(w, "  architecture\t%s (%s attention)\n", info.Architecture, map[bool]string{true: "causal", false: "bidirectional"}[info.Causal])
		fmt.Fprintf(w, "  dimensions\t%d\n", info.Dim)
		fmt.Fprintf(w, "  pooling\t%s (declared: %s)\n", info.Pooling, info.DeclaredPooling)
		fmt.Fprintf(w, "  context\t%d tokens (trained: %d)\n", info.ContextSize, info.TrainedContext)
		fmt.Fprintf(w, "  quantization\t%s, %s parameters, %s\n", info.FileType, human(info.Parameters, 1000, ""), human(uint64(info.FileSize), 1024, "B"))
		fmt.Fprintf(w, "  tokenizer\t%s, %d tokens\n", info.Tokenizer, info.VocabSize)
		fmt.Fprintf(w, "  batch\t%d tokens (target %d), %d sequences, %d threads over %d contexts\n", info.BatchSize, info.BatchTarget, info.MaxSequences, info.Threads, info.Contexts)
		fmt.Fprintf(w, "  attention\theads of %d values, flash attention %s\n", info.HeadSize, info.FlashAttention)
	}
	return w.Flush()
}
