package libinstall

import (
	"fmt"
	"sync"
	"time"
)

// spin shows, on a terminal, how long the download of what has been
// running, until the returned function is called.
func (in *installer) spin(what string) (stop func()) {
	if !in.opts.Terminal {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(in.opts.Progress, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprintf(in.opts.Progress, "\r\033[K    npm pack %s: %s", what, time.Since(start).Round(time.Second))
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// counter returns a progress function for extracting the named tarball:
// on a terminal it shows the megabytes written, at most ten times a
// second.
func (in *installer) counter(name string) func(int64) {
	if !in.opts.Terminal {
		return nil
	}
	var last time.Time
	return func(n int64) {
		if time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		fmt.Fprintf(in.opts.Progress, "\r\033[K    extracting %s: %d MB", name, n>>20)
	}
}
