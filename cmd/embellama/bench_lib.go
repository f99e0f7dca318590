package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// errNoRate is returned by parseBenchRate for bench output without the
// engine's row.
var errNoRate = errors.New("bench: no texts/s of the library in the output")

// libRounds compares two libraries in alternating rounds. One process
// loads one llama library (llama.LoadFiles), so each round runs this
// command once per library, `bench -lib DIR -latency 0` with the other
// flags given, and reads its texts/s; the processes alternate, so both
// libraries see the same machine.
type libRounds struct {
	exe    string    // this command
	libs   [2]string // the libraries compared: -lib and -vs-lib
	args   []string  // the flags passed to each run
	rounds int
}

// newLibRounds builds the comparison that `bench -vs-lib` asks for: the
// flags given (args, as parsed by fs) are passed on, except those it sets
// itself.
func newLibRounds(fs *flag.FlagSet, args []string, vsLib string, rounds int) (*libRounds, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench -vs-lib runs this command once per round: %w", err)
	}
	lr := &libRounds{exe: exe, rounds: rounds}
	lr.args, lr.libs[0] = childArgs(fs, args)
	lr.libs[1] = vsLib
	for i, l := range lr.libs {
		if l == "" {
			continue // the library the search finds
		}
		if lr.libs[i], err = filepath.Abs(l); err != nil {
			return nil, err
		}
	}
	return lr, nil
}

// childArgs returns the flags of args (which fs parsed without error)
// as they were given, without those a round sets itself (-lib, -vs-lib,
// -rounds, -latency, -clients, -client-request), and the value of -lib.
// It reads args rather than the flag values because a flag defined with
// FlagSet.Func cannot print its value back.
func childArgs(fs *flag.FlagSet, args []string) (out []string, lib string) {
	drop := map[string]bool{"vs-lib": true, "rounds": true, "latency": true, "clients": true, "client-request": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && bf.IsBoolFlag()) && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}
		switch {
		case name == "lib":
			lib = value
		case drop[name]:
		case hasValue:
			out = append(out, "-"+name+"="+value)
		default:
			out = append(out, "-"+name)
		}
	}
	return append(out, "-latency=0"), lib
}

// label names library i in the report.
func (lr *libRounds) label(i int) string {
	if lr.libs[i] == "" {
		return "the library the search finds"
	}
	return lr.libs[i]
}

// run measures the libraries in alternating rounds and writes the
// medians and the ratio, first over second.
func (lr *libRounds) run(ctx context.Context, stdout, stderr io.Writer) error {
	per := make([][]float64, 2)
	var ratios []float64
	for r := range lr.rounds {
		var rate [2]float64
		for i := range lr.libs {
			v, err := lr.once(ctx, i)
			if err != nil {
				return err
			}
			rate[i] = v
			per[i] = append(per[i], v)
		}
		ratios = append(ratios, rate[0]/rate[1])
		fmt.Fprintf(stderr, "round %d: %.1f vs %.1f texts/s (%.2fx)\n", r+1, rate[0], rate[1], rate[0]/rate[1])
	}
	fmt.Fprintf(stdout, "libraries compared in %d alternating rounds, one process per library and round (flags: %s)\n", lr.rounds, strings.Join(lr.args, " "))
	for i := range lr.libs {
		fmt.Fprintf(stdout, "%s: median %.1f texts/s (rounds: %s)\n", lr.label(i), median(per[i]), floats(per[i]))
	}
	fmt.Fprintf(stdout, "ratio (first/second): median %.2fx (rounds: %s)\n", median(ratios), floats(ratios))
	return nil
}

// once runs bench on library i and returns its texts/s.
func (lr *libRounds) once(ctx context.Context, i int) (float64, error) {
	args := append([]string{"bench"}, lr.args...)
	if lr.libs[i] != "" {
		args = append(args, "-lib="+lr.libs[i])
	}
	cmd := exec.CommandContext(ctx, lr.exe, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("bench of %s: %w: %s", lr.label(i), err, strings.TrimSpace(errb.String()))
	}
	v, err := parseBenchRate(out.String())
	if err != nil {
		return 0, fmt.Errorf("bench of %s: %w:\n%s", lr.label(i), err, out.String())
	}
	return v, nil
}

// parseBenchRate reads the texts/s of the library's row from the report
// that bench writes (writeResults).
func parseBenchRate(out string) (float64, error) {
	name := engineTarget{}.name()
	for _, line := range strings.Split(out, "\n") {
		_, rest, ok := strings.Cut(line, name)
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			break
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("%w: %q", errNoRate, line)
		}
		return v, nil
	}
	return 0, errNoRate
}

// parseRatio reads the median ratio that a comparison in rounds writes
// ("ratio (first/second): median 1.83x ...").
func parseRatio(out string) (float64, error) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(line, "ratio (first/second): median ")
		if !ok {
			continue
		}
		x, _, _ := strings.Cut(rest, "x")
		return strconv.ParseFloat(x, 64)
	}
	return 0, errors.New("bench: no ratio in the output")
}
