package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/embellama/embellama/internal/filehash"
	"github.com/embellama/embellama/internal/gguf"
)

// defaultPull is the model `embellama pull` fetches without arguments:
// all-MiniLM-L6-v2 in Q8_0 (384 dimensions, mean pooling, 512 tokens).
// No checksum of it could be obtained where this was written, so it is
// verified against the sha256 the hub announces for the file (its LFS
// ETag) and by the GGUF validator.
const defaultPull = "second-state/All-MiniLM-L6-v2-Embedding-GGUF/all-MiniLM-L6-v2-Q8_0.gguf"

// hubURL is where REPO/FILE references are resolved; tests point it at a
// local server.
var hubURL = "https://huggingface.co"

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func runPull(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("pull", "[OWNER/REPO/FILE.gguf | URL]  (default: "+defaultPull+")", stderr)
	sum := fs.String("sha256", "", "expected sha256 of the file (default: the one the server announces, if any)")
	dir := fs.String("dir", "", "download `directory` (default: the user cache directory's embellama/models)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("pull takes one model reference")}
	}
	ref := fs.Arg(0)
	if ref == "" {
		ref = defaultPull
	}
	src, name, err := resolveRef(ref)
	if err != nil {
		return usageError{err}
	}
	want := strings.ToLower(*sum)
	if want != "" && !sha256Hex.MatchString(want) {
		return usageError{fmt.Errorf("-sha256 %q is not 64 hex digits", *sum)}
	}
	if *dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return err
		}
		*dir = filepath.Join(cache, "embellama", "models")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	p := &puller{client: http.DefaultClient, progress: stderr, showProgress: isTerminal(stderr)}
	dst := filepath.Join(*dir, name)
	if err := p.pull(ctx, src, dst, want); err != nil {
		return err
	}
	fmt.Fprintln(stdout, dst)
	return nil
}

// resolveRef turns OWNER/REPO/FILE or a URL into a download URL and a
// file name, which must be a plain file name (no directory, not . or ..).
func resolveRef(ref string) (string, string, error) {
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		u, err := url.Parse(ref)
		if err != nil {
			return "", "", err
		}
		name := path.Base(u.Path)
		if err := plainName(name); err != nil {
			return "", "", fmt.Errorf("URL %q: %w", ref, err)
		}
		return ref, name, nil
	}
	parts := strings.Split(ref, "/")
	if len(parts) < 3 || parts[0] == "" || parts[1] == "" {
		return "", "", fmt.Errorf("%q is not OWNER/REPO/FILE or a URL", ref)
	}
	file := strings.Join(parts[2:], "/")
	for _, p := range parts {
		if p == ".." || p == "." {
			return "", "", fmt.Errorf("%q: bad file name", ref)
		}
	}
	if err := plainName(path.Base(file)); err != nil {
		return "", "", fmt.Errorf("%q: %w", ref, err)
	}
	return fmt.Sprintf("%s/%s/%s/resolve/main/%s", hubURL, parts[0], parts[1], file), path.Base(file), nil
}

// plainName refuses a download name that is not a plain file name in
// -dir: empty, . or .., or holding a separator, a drive colon or a NUL.
func plainName(name string) error {
	if name == "" || name == "." || name == ".." || name == "/" || strings.ContainsAny(name, "/\\:\x00") || filepath.Base(name) != name {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

// puller downloads a file, resuming a partial download, and verifies it.
type puller struct {
	client       *http.Client
	progress     io.Writer
	showProgress bool
}

// pull downloads src to dst via dst+".part". An existing dst is verified
// and kept. Either path holding anything but a regular file is refused
// (see checkOutputPath). want, when not empty, is the expected sha256; otherwise the
// server's announced sha256 (X-Linked-Etag or ETag) is used when it has
// one. The result must also be a valid GGUF file.
func (p *puller) pull(ctx context.Context, src, dst, want string) error {
	part := dst + ".part"
	for _, path := range []string{dst, part} {
		if err := checkOutputPath(path); err != nil {
			return err
		}
	}
	if _, err := os.Stat(dst); err == nil && want != "" {
		if got, err := filehash.SHA256(dst); err == nil && got == want {
			return nil
		}
	}
	for attempt := 0; ; attempt++ {
		announced, err := p.fetch(ctx, src, part, want)
		if want == "" {
			want = announced
		}
		if err == nil {
			break
		}
		if ctx.Err() != nil || attempt >= 4 {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 500 * time.Millisecond)
	}
	got, err := filehash.SHA256(part)
	if err != nil {
		return err
	}
	if want != "" && got != want {
		os.Remove(part)
		return fmt.Errorf("checksum mismatch for %s: got sha256 %s, want %s (the partial file was removed)", path.Base(dst), got, want)
	}
	if _, err := gguf.Open(part); err != nil {
		os.Remove(part)
		return fmt.Errorf("%s is not a valid GGUF file: %w", path.Base(dst), err)
	}
	if err := checkOutputPath(dst); err != nil { // again: it may have appeared meanwhile
		return err
	}
	return os.Rename(part, dst)
}

// fetch appends the rest of src to part, resuming from its size with a
// Range request, and returns the sha256 the server announced, if any. It
// trusts no answer to a range request it cannot check: a 206 must say,
// in Content-Range, that it starts at the requested offset and holds
// Content-Length bytes; a 416 means complete only when its Content-Range
// total is the partial file's size; and a resumed file is kept only when
// a checksum (want or announced) will verify the whole. Otherwise the
// partial file is emptied and fetch returns an error, so that the next
// attempt starts over.
func (p *puller) fetch(ctx context.Context, src, part, want string) (string, error) {
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", err
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	announced := ""
	for _, h := range []string{"X-Linked-Etag", "ETag"} {
		if v := strings.ToLower(strings.Trim(strings.TrimPrefix(resp.Header.Get(h), "W/"), `"`)); sha256Hex.MatchString(v) {
			announced = v
			break
		}
	}
	verifiable := want != "" || announced != ""
	startOver := func(format string, args ...any) (string, error) {
		if err := f.Truncate(0); err != nil {
			return announced, err
		}
		return announced, fmt.Errorf("GET %s: "+format+"; starting over", append([]any{src}, args...)...)
	}
	total := int64(-1)
	switch resp.StatusCode {
	case http.StatusOK:
		if have > 0 { // the server ignored the range: start over
			if err := f.Truncate(0); err != nil {
				return announced, err
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return announced, err
			}
			have = 0
		}
		if resp.ContentLength >= 0 {
			total = resp.ContentLength
		}
	case http.StatusPartialContent:
		start, end, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		switch {
		case !ok || start < 0:
			return startOver("206 without a valid Content-Range (%q)", resp.Header.Get("Content-Range"))
		case start != have:
			return startOver("206 for bytes from %d, but the request asked from %d", start, have)
		case resp.ContentLength >= 0 && end-start+1 != resp.ContentLength:
			return startOver("206 of bytes %d-%d with a Content-Length of %d", start, end, resp.ContentLength)
		case size >= 0 && end+1 > size:
			return startOver("206 of bytes %d-%d of a %d-byte file", start, end, size)
		case !verifiable:
			return startOver("no checksum to verify a resumed download with")
		}
		total = size
	case http.StatusRequestedRangeNotSatisfiable:
		_, _, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if ok && size == have && verifiable {
			return announced, nil // complete; the checksum verifies it
		}
		return startOver("416 for a partial file of %d bytes (Content-Range %q)", have, resp.Header.Get("Content-Range"))
	default:
		return announced, fmt.Errorf("GET %s: %s", src, resp.Status)
	}
	var w io.Writer = f
	if p.showProgress && resp.ContentLength > 0 {
		w = io.MultiWriter(f, &byteProgress{w: p.progress, done: have, total: have + resp.ContentLength, start: time.Now()})
	}
	n, err := io.Copy(w, resp.Body)
	if err == nil && (resp.ContentLength >= 0 && n != resp.ContentLength || total >= 0 && have+n != total) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return announced, fmt.Errorf("download interrupted after %d bytes: %w", have+n, err)
	}
	return announced, nil
}

// parseContentRange parses "bytes START-END/SIZE" or "bytes */SIZE";
// absent parts are -1 (SIZE "*" is unknown).
func parseContentRange(v string) (start, end, size int64, ok bool) {
	rest, found := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	size = -1
	if sz != "*" {
		var err error
		if size, err = strconv.ParseInt(sz, 10, 64); err != nil || size < 0 {
			return 0, 0, 0, false
		}
	}
	if rng == "*" {
		return -1, -1, size, size >= 0
	}
	a, b, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, 0, false
	}
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || start < 0 || end < start {
		return 0, 0, 0, false
	}
	return start, end, size, true
}

// byteProgress prints a download's progress as it is written.
type byteProgress struct {
	w           io.Writer
	done, total int64
	start, last time.Time
}

func (b *byteProgress) Write(p []byte) (int, error) {
	b.done += int64(len(p))
	if now := time.Now(); now.Sub(b.last) > 200*time.Millisecond || b.done == b.total {
		b.last = now
		mib := float64(b.done) / (1 << 20)
		fmt.Fprintf(b.w, "\r%.1f / %.1f MiB (%.1f MiB/s) ", mib, float64(b.total)/(1<<20), mib/max(now.Sub(b.start).Seconds(), 1e-9))
		if b.done == b.total {
			fmt.Fprintln(b.w)
		}
	}
	return len(p), nil
}
