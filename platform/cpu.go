package platform

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"strings"
)

// PhysicalCores returns the number of physical CPU cores, which is the
// thread count at which llama.cpp's matrix kernels usually peak (hyper-
// threads share the vector units). Where the count cannot be read it
// returns runtime.NumCPU().
func PhysicalCores() int {
	if runtime.GOOS == "linux" {
		if f, err := os.Open("/proc/cpuinfo"); err == nil {
			defer f.Close()
			if n := physicalCores(f); n > 0 {
				return min(n, runtime.NumCPU())
			}
		}
	}
	return runtime.NumCPU()
}

// physicalCores counts the distinct (physical id, core id) pairs of a
// /proc/cpuinfo listing, or returns 0 when it has none.
func physicalCores(r io.Reader) int {
	cores := map[[2]string]bool{}
	var phys, core string
	flush := func() {
		if core != "" {
			cores[[2]string{phys, core}] = true
		}
		phys, core = "", ""
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "physical id":
			phys = strings.TrimSpace(v)
		case "core id":
			core = strings.TrimSpace(v)
		}
	}
	flush()
	return len(cores)
}
