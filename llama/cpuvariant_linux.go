package llama

import (
	"os"
	"path/filepath"
	"strings"
)

// CPUVariant returns the file name of the ggml CPU backend the process
// loaded, such as "libggml-cpu-haswell.so", read from /proc/self/maps;
// "" when none is mapped (a build with the CPU backend linked in).
func (l *Library) CPUVariant() string {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 6 {
			continue
		}
		if name := filepath.Base(fields[len(fields)-1]); strings.HasPrefix(name, "libggml-cpu") {
			return name
		}
	}
	return ""
}
