// Package rss reads the resident memory of the running process from
// /proc/self/status (Linux); elsewhere it reports 0.
package rss

import (
	"os"
	"strconv"
	"strings"
)

// Current returns the process's resident set size (VmRSS) in bytes, or 0.
func Current() int64 { return status("VmRSS:") }

// Peak returns the process's peak resident set size (VmHWM) in bytes, or 0.
func Peak() int64 { return status("VmHWM:") }

// status returns a size in bytes from /proc/self/status, or 0.
func status(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, key); ok {
			f := strings.Fields(v)
			if len(f) >= 1 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
