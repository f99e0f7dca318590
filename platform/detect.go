package platform

import (
	"os"
	"path/filepath"
)

// Hardware is what the machine offers, as far as backend choice goes.
type Hardware struct {
	GOOS, GOARCH string
	// NVIDIADriver: the NVIDIA kernel driver is loaded.
	NVIDIADriver bool
	// GPURenderNode: a GPU render node (/dev/dri/renderD*) exists, so a
	// Vulkan driver for real hardware may be present.
	GPURenderNode bool
}

// ProbeHardware inspects the running machine.
func ProbeHardware(goos, goarch string) Hardware {
	h := Hardware{GOOS: goos, GOARCH: goarch}
	if goos == "linux" {
		_, err1 := os.Stat("/proc/driver/nvidia/version")
		_, err2 := os.Stat("/dev/nvidia0")
		h.NVIDIADriver = err1 == nil || err2 == nil
		nodes, _ := filepath.Glob("/dev/dri/renderD*")
		h.GPURenderNode = len(nodes) > 0
	}
	return h
}

// Preferred returns the backends worth trying on h, best first: CUDA with
// an NVIDIA driver, Metal on Apple silicon, Vulkan with a GPU render
// node, then the library built for this CPU ([Native]), and always CPU
// last. A backend is used only if its library is
// installed; a GPU library that finds no device runs on the CPU.
func Preferred(h Hardware) []Backend {
	var bs []Backend
	if h.NVIDIADriver && (h.GOOS == "linux" || h.GOOS == "windows") {
		bs = append(bs, CUDA)
	}
	if h.GOOS == "darwin" && h.GOARCH == "arm64" {
		bs = append(bs, Metal)
	}
	if h.GPURenderNode {
		bs = append(bs, Vulkan)
	}
	return append(bs, Native, CPU)
}
