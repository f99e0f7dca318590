// Package hub lists the files of a model repository on a Hugging Face
// compatible hub and picks the GGUF file to download: it reads the
// hub's tree API (GET {base}/api/models/{owner}/{repo}/tree/main, a JSON
// array of {type, path, size, oid, lfs} entries, paginated by a Link
// header), classifies each file's weight format from its name, and
// chooses by a ranking of formats (see [Choose]).
//
// Everything the hub answers is untrusted: the listing is bounded in
// bytes, entries and pages, a next page must be on the hub's own host,
// and a name that is not a plain file name is refused as hostile.
package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors, one per remedy.
var (
	// ErrRepoName: the OWNER/REPO given is not a repository name (the
	// user's mistake: a usage error).
	ErrRepoName = errors.New("hub: not a repository name")
	// ErrNotFound: the hub has no such repository (404), or hides it.
	ErrNotFound = errors.New("hub: repository not found")
	// ErrStatus: the hub refused the listing with another status (401
	// for a gated repository without a token, 5xx).
	ErrStatus = errors.New("hub: listing refused")
	// ErrListing: the listing is not the tree API's JSON (truncated,
	// another shape, trailing data).
	ErrListing = errors.New("hub: malformed listing")
	// ErrTooLarge: the listing crosses a limit (bytes, entries or pages)
	// before it ends; nothing is chosen from a partial listing.
	ErrTooLarge = errors.New("hub: listing too large")
	// ErrHostileName: an entry's name is not a plain file name (a path
	// separator, "..", an absolute path, a drive, a control character).
	ErrHostileName = errors.New("hub: hostile file name in listing")
)

// Default limits of a listing. A GGUF repository's top level holds tens
// of files; the hub pages its tree 1000 entries at a time.
const (
	DefaultMaxEntries = 2000
	DefaultMaxBytes   = 4 << 20
	DefaultMaxPages   = 4
)

// Entry is one entry of the tree API's answer.
type Entry struct {
	// Type is "file" or "directory".
	Type string `json:"type"`
	// Path is the entry's path in the repository; at the top level, its
	// name.
	Path string `json:"path"`
	// Size is the file's size in bytes.
	Size int64 `json:"size"`
	// OID is the git blob id.
	OID string `json:"oid"`
	// LFS is set for a file stored in LFS: its sha256 (OID) and size.
	LFS *LFS `json:"lfs,omitempty"`
}

// LFS is the LFS pointer of a file.
type LFS struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// Lister lists repositories. The zero value uses http.DefaultClient and
// the default limits; Base must be set.
type Lister struct {
	// Base is the hub's URL, without a trailing slash.
	Base string
	// Client makes the requests. Default: http.DefaultClient.
	Client *http.Client
	// Token, when set, is sent as "Authorization: Bearer TOKEN", to
	// Base's host only.
	Token string
	// MaxEntries, MaxBytes and MaxPages bound the listing; 0 means the
	// default.
	MaxEntries int
	MaxBytes   int64
	MaxPages   int
}

var repoPart = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$`)

// CheckRepo refuses repo unless it is OWNER/REPO, each part letters,
// digits, '.', '_' and '-', starting with a letter or digit, without
// "..": nothing that could change the URL it is put into.
func CheckRepo(repo string) error {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || !repoPart.MatchString(owner) || !repoPart.MatchString(name) || strings.Contains(repo, "..") {
		return fmt.Errorf("%w: %q (want OWNER/REPO)", ErrRepoName, repo)
	}
	return nil
}

// CheckName refuses a name that is not a plain file name: empty, . or
// .., longer than 255 bytes, not UTF-8, or holding a path separator, a
// colon (a drive), a control or format character (such as U+202E, which
// reverses how the name is shown) or U+FFFD.
func CheckName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("%w: %q", ErrHostileName, name)
	case len(name) > maxName:
		// 255 is the file system's limit; the download's ".part" name
		// needs 5 more.
		return fmt.Errorf("%w: a name of %d bytes (at most %d)", ErrHostileName, len(name), maxName)
	case strings.ContainsAny(name, `*?"<>|`) || windowsReserved(name):
		return fmt.Errorf("%w: %q is not a file name on Windows", ErrHostileName, name)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: %q is not UTF-8", ErrHostileName, name)
	case strings.ContainsAny(name, `/\:`):
		return fmt.Errorf("%w: %q holds a path separator or a drive", ErrHostileName, name)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError }) >= 0:
		// Format characters (U+202E reverses the text shown); U+FFFD is
		// what encoding/json puts for bytes that are not UTF-8, so the
		// name would not be the file's.
		return fmt.Errorf("%w: %q holds a control, format or replacement character", ErrHostileName, name)
	}
	return nil
}

// maxName is the longest file name accepted, in bytes.
const maxName = 250

// windowsReserved reports names Windows keeps for devices (CON, NUL,
// COM1...), whatever their extension.
func windowsReserved(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	switch strings.ToUpper(strings.TrimRight(stem, " ")) {
	case "CON", "PRN", "AUX", "NUL",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// List returns the entries at the top level of repo's main branch. It
// refuses a bad repo name ([ErrRepoName]) before any request, and a
// listing that is malformed ([ErrListing]), too large ([ErrTooLarge]) or
// names an entry that is not a plain file name ([ErrHostileName]).
func (l *Lister) List(ctx context.Context, repo string) ([]Entry, error) {
	if err := CheckRepo(repo); err != nil {
		return nil, err
	}
	base, err := url.Parse(l.Base)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("hub: base URL %q: %v", l.Base, err)
	}
	maxEntries, maxBytes, maxPages := or(l.MaxEntries, DefaultMaxEntries), or64(l.MaxBytes, DefaultMaxBytes), or(l.MaxPages, DefaultMaxPages)
	next := l.Base + "/api/models/" + repo + "/tree/main"
	var all []Entry
	var read int64
	for page := 0; next != ""; page++ {
		if page == maxPages {
			return nil, fmt.Errorf("%w: more than %d pages", ErrTooLarge, maxPages)
		}
		entries, n, link, err := l.page(ctx, next, maxBytes-read)
		if err != nil {
			return nil, err
		}
		read += n
		all = append(all, entries...)
		if len(all) > maxEntries {
			return nil, fmt.Errorf("%w: more than %d entries", ErrTooLarge, maxEntries)
		}
		if next, err = sameHost(base, next, link); err != nil {
			return nil, err
		}
	}
	for _, e := range all {
		if err := CheckName(e.Path); err != nil {
			return nil, fmt.Errorf("%s: %w", repo, err)
		}
		if e.Size < 0 || e.LFS != nil && e.LFS.Size < 0 {
			return nil, fmt.Errorf("%w: %q has a negative size", ErrListing, e.Path)
		}
		if e.LFS != nil && !sha256Hex.MatchString(strings.ToLower(e.LFS.OID)) {
			// The download is checked against it: one that is not a
			// sha256 is refused, not dropped (review round 6).
			return nil, fmt.Errorf("%w: %q has an LFS object id that is not a sha256", ErrListing, e.Path)
		}
	}
	return all, nil
}

// page fetches one page of at most budget bytes and returns its entries,
// its size and its Link header's next URL ("" when none).
func (l *Lister) page(ctx context.Context, src string, budget int64) ([]Entry, int64, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, 0, "", fmt.Errorf("hub: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if l.Token != "" {
		req.Header.Set("Authorization", "Bearer "+l.Token)
	}
	client := l.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, "", err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, 0, "", fmt.Errorf("%w: GET %s: %d %s", ErrNotFound, src, resp.StatusCode, http.StatusText(resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		// The code and Go's text for it, never the server's reason
		// phrase, which could carry terminal escapes (review round 6).
		return nil, 0, "", fmt.Errorf("%w: GET %s: %d %s", ErrStatus, src, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, budget+1))
	if err != nil {
		return nil, 0, "", fmt.Errorf("%w: GET %s: %w", ErrListing, src, err)
	}
	if int64(len(body)) > budget {
		return nil, 0, "", fmt.Errorf("%w: more than %d bytes", ErrTooLarge, budget)
	}
	entries, err := decodeEntries(body)
	if err != nil {
		return nil, 0, "", fmt.Errorf("GET %s: %w", src, err)
	}
	return entries, int64(len(body)), nextLink(resp.Header.Values("Link")), nil
}

// decodeEntries parses one page: a JSON array of entries and nothing
// after it. Fields the hub adds beyond Entry's are allowed (the API
// grows); a known field of the wrong type, or an entry without a type
// or path, is not.
func decodeEntries(body []byte) ([]Entry, error) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var entries []Entry
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrListing, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the array", ErrListing)
	}
	if entries == nil {
		return nil, fmt.Errorf("%w: null instead of an array", ErrListing)
	}
	for i, e := range entries {
		if e.Type != "file" && e.Type != "directory" {
			if e.Type == "" {
				return nil, fmt.Errorf("%w: entry %d has no type", ErrListing, i)
			}
			continue // a kind the hub may add; never a model file
		}
		if e.Path == "" {
			return nil, fmt.Errorf("%w: entry %d has no path", ErrListing, i)
		}
	}
	return entries, nil
}

// nextLink returns the URL of a Link header's rel="next", or "".
func nextLink(values []string) string {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			target, params, ok := strings.Cut(part, ";")
			if !ok {
				continue
			}
			target = strings.TrimSpace(target)
			if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
				// rel may hold several relation types (RFC 8288).
				if strings.EqualFold(k, "rel") && slices.ContainsFunc(strings.Fields(strings.Trim(v, `"`)), func(r string) bool { return strings.EqualFold(r, "next") }) {
					return target[1 : len(target)-1]
				}
			}
		}
	}
	return ""
}

// sameHost resolves link against the page it came from and refuses one
// on another scheme or host: the token goes with every page.
func sameHost(base *url.URL, page, link string) (string, error) {
	if link == "" {
		return "", nil
	}
	p, err := url.Parse(page)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrListing, err)
	}
	u, err := p.Parse(link)
	if err != nil {
		return "", fmt.Errorf("%w: next page %q: %w", ErrListing, link, err)
	}
	if u.Scheme != base.Scheme || u.Host != base.Host {
		return "", fmt.Errorf("%w: next page on another host (%s)", ErrListing, u.Host)
	}
	return u.String(), nil
}

func or(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func or64(v, def int64) int64 {
	if v > 0 {
		return v
	}
	return def
}
