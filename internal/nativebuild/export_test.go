package nativebuild

import "time"

// SetProbeTimeout sets how long a tool probe may take, for a test, and
// returns the function that restores it.
func SetProbeTimeout(d time.Duration) (restore func()) {
	old := probeTimeout
	probeTimeout = d
	return func() { probeTimeout = old }
}
