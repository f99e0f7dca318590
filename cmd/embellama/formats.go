package main

import (
	"fmt"
	"io"

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
}
