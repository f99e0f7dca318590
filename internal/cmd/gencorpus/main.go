// Command gencorpus prints the benchmark corpus, one text per line, for
// programs other than embellama bench (such as scripts/bench-node.sh).
//
//	go run ./internal/cmd/gencorpus [-kind short|long] [-n 1000] [-seed 1]
//
// The texts are those `embellama bench -corpus KIND -seed SEED` embeds.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/embellama/embellama/internal/corpus"
)

func main() {
	kind := flag.String("kind", "short", "short (5-60 words) or long (250-420 words)")
	n := flag.Int("n", 1000, "number of texts")
	seed := flag.Uint64("seed", 1, "corpus seed")
	flag.Parse()
	k := corpus.Short
	switch *kind {
	case "short":
	case "long":
		k = corpus.Long
	default:
		fmt.Fprintf(os.Stderr, "gencorpus: -kind %q: want short or long\n", *kind)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, t := range corpus.Generate(k, *n, *seed) {
		fmt.Fprintln(w, t)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
}
