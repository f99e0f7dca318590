package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

// fastestFormat prints info's "fastest format" line, when the table of
// platform.FastestFormat knows this CPU.
func fastestFormat(w io.Writer, systemInfo string) {
	adv, ok := platform.FastestFormat(systemInfo)
	if !ok {
		return
	}
	how := "inferred"
	if adv.Measured {
		how = "measured"
	}
	fmt.Fprintf(w, "fastest format\t%s on this %s CPU (%s: %s; embellama quantize -type %s converts a model)\n",
		adv.Format, adv.Class, how, adv.Why, adv.Format)
	fmt.Fprintf(w, "auto format\tquantize -type auto converts to %s, measures each on your model, and keeps the fastest whose vectors stay within cosine %g of F32's; expect %s\n",
		strings.Join(platform.AutoCandidates(systemInfo), ", "), embed.AutoMinCosine, adv.Format)
}
