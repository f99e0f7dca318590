package libinstall

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StaleAfter is how long a staging folder must have gone unchanged
// before a later install removes it. An install writes its files into a
// fresh staging folder beside the destination (see [Install]); one killed
// mid-extract leaves that folder behind. A folder changed more recently
// may be another install's, still extracting: its files' times move with
// every write, so half an hour unchanged means nobody is writing.
const StaleAfter = 30 * time.Minute

// stagingPrefix is the name every staging folder of the pin's folder
// starts with: ".<os>-<arch>-<backend>.new-" (swap's ".old" folders share
// it).
func (in *installer) stagingPrefix() string { return "." + in.opts.Pin.Dir() + ".new-" }

// removeStale removes the staging folders of this pin's destination left
// by installs that were killed: folders (never links) named with
// stagingPrefix, in which nothing has changed for StaleAfter. Another
// target's staging folders are left to its own installs. It returns the
// names removed; what cannot be read or removed is left as it is.
func (in *installer) removeStale(now time.Time) []string {
	entries, err := os.ReadDir(in.opts.LibDir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), in.stagingPrefix()) || e.Type()&fs.ModeType != fs.ModeDir {
			continue
		}
		dir := filepath.Join(in.opts.LibDir, e.Name())
		newest, err := newestChange(dir, now)
		if err != nil || now.Sub(newest) < StaleAfter {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, e.Name())
		}
	}
	return removed
}

// errRecent stops newestChange's walk at a change within StaleAfter.
var errRecent = errors.New("changed recently")

// newestChange returns the latest modification time of dir and of
// everything under it (links are not followed); it stops at the first
// within StaleAfter of now.
func newestChange(dir string, now time.Time) (time.Time, error) {
	var newest time.Time
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().After(newest) {
			newest = fi.ModTime()
		}
		if now.Sub(newest) < StaleAfter {
			return errRecent
		}
		return nil
	})
	if errors.Is(err, errRecent) {
		return newest, nil
	}
	return newest, err
}
