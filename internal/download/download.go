// Package download fetches one file over HTTP into place: it resumes a
// partial download with a Range request whose answer it checks, verifies
// the file against a sha256 (given, or announced by the server) and the
// caller's validator, and only then renames it into place. embellama
// pull uses it for models; internal/libinstall, beside it, installs the
// native libraries (from npm tarballs, verified against their pins).
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/embellama/embellama/internal/filehash"
)

// ErrChecksum is matched by the error of a download whose sha256 is not
// the one wanted or announced.
var ErrChecksum = errors.New("download: checksum mismatch")

// Downloader downloads a file, resuming a partial download, and verifies
// it. The zero value uses http.DefaultClient and checks nothing but the
// checksum.
type Downloader struct {
	// Client makes the requests. Default: http.DefaultClient.
	Client *http.Client
	// Progress, when set, receives the download's progress.
	Progress io.Writer
	// CheckPath, when set, refuses a destination (the file or its
	// partial download), before the download and before the rename.
	CheckPath func(path string) error
	// Validate, when set, checks the downloaded file before it is
	// renamed into place; a file it refuses is removed.
	Validate func(path string) error
	// Token, when set, is sent as "Authorization: Bearer TOKEN" (a gated
	// repository's access token). It never appears in an error: Get's
	// errors have it, and any query or user info of the URL, removed.
	Token string
}

// ErrStatus is matched by the error of a request the server answered
// with a status that is not a success (404, 401, ...).
var ErrStatus = errors.New("download: server refused the request")

// IsSHA256 reports whether s is a sha256 in lower-case hex.
func IsSHA256(s string) bool { return sha256Hex.MatchString(s) }

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Get downloads src to dst via dst+".part". An existing dst is verified
// and kept. want, when not empty, is the expected sha256; otherwise the
// server's announced sha256 (X-Linked-Etag or ETag) is used when it has
// one. A file whose checksum differs is removed ([ErrChecksum]).
func (p *Downloader) Get(ctx context.Context, src, dst, want string) error {
	err := p.get1(ctx, src, dst, want)
	if err != nil {
		removeIfEmpty(dst + ".part") // a failed download leaves no empty partial file
		return p.redact(err, src)
	}
	return nil
}

func (p *Downloader) get1(ctx context.Context, src, dst, want string) error {
	part := dst + ".part"
	if err := p.checkPath(dst, part); err != nil {
		return err
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
		if ctx.Err() != nil || attempt >= 4 || permanent(err) {
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
		return fmt.Errorf("%w for %s: got sha256 %s, want %s (the partial file was removed)", ErrChecksum, filepath.Base(dst), got, want)
	}
	if p.Validate != nil {
		if err := p.Validate(part); err != nil {
			os.Remove(part)
			return err
		}
	}
	if err := p.checkPath(dst); err != nil { // again: it may have appeared meanwhile
		return err
	}
	return os.Rename(part, dst)
}

func (p *Downloader) checkPath(paths ...string) error {
	if p.CheckPath == nil {
		return nil
	}
	for _, path := range paths {
		if err := p.CheckPath(path); err != nil {
			return err
		}
	}
	return nil
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
func (p *Downloader) fetch(ctx context.Context, src, part, want string) (string, error) {
	f, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return "", err
	}
	resp, err := p.get(ctx, src, have)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	announced := announcedSHA256(resp.Header)
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
		// The code and Go's text for it, never the server's reason phrase,
		// which could carry terminal escapes.
		return announced, &statusError{src: src, status: fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), code: resp.StatusCode}
	}
	var w io.Writer = f
	if p.Progress != nil && resp.ContentLength > 0 {
		w = io.MultiWriter(f, &byteProgress{w: p.Progress, done: have, total: have + resp.ContentLength, start: time.Now()})
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

// get requests src, from byte have on when it is not 0.
func (p *Downloader) get(ctx context.Context, src string, have int64) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	if p.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.Token)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	return client.Do(req)
}

// statusError is a request answered with a status that is no success.
type statusError struct {
	src, status string
	code        int
}

func (e *statusError) Error() string { return "GET " + e.src + ": " + e.status }
func (e *statusError) Unwrap() error { return ErrStatus }

// permanent reports an error that trying again cannot mend: a status
// other than 408, 429 and 5xx, or a host that cannot be reached at all
// (its name does not resolve, or the connection is refused).
func permanent(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code != http.StatusRequestTimeout && se.code != http.StatusTooManyRequests && se.code < 500
	}
	return Unreachable(err)
}

// Unreachable reports whether err says the server could not be reached
// at all: its name did not resolve, or the connection was refused, as
// when offline.
func Unreachable(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	return errors.As(err, &dns) || errors.As(err, &op) && op.Op == "dial"
}

// removeIfEmpty removes path when it is an empty regular file.
func removeIfEmpty(path string) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
		os.Remove(path)
	}
}

// redact returns err with the token, and the query and user info of src,
// replaced, keeping what errors.Is and errors.As find.
func (p *Downloader) redact(err error, src string) error {
	msg := err.Error()
	var secrets []string
	if p.Token != "" {
		secrets = append(secrets, p.Token)
	}
	if u, perr := url.Parse(src); perr == nil {
		if u.User != nil {
			secrets = append(secrets, u.User.String())
		}
		if u.RawQuery != "" {
			secrets = append(secrets, u.RawQuery)
		}
	}
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "REDACTED")
	}
	if msg == err.Error() {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error whose text had secrets removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// announcedSHA256 returns the sha256 a server announced for a file (in
// X-Linked-Etag, a hub's, or ETag), or "".
func announcedSHA256(h http.Header) string {
	for _, name := range []string{"X-Linked-Etag", "ETag"} {
		if v := strings.ToLower(strings.Trim(strings.TrimPrefix(h.Get(name), "W/"), `"`)); sha256Hex.MatchString(v) {
			return v
		}
	}
	return ""
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
