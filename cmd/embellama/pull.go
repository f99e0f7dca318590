package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"strings"

	"github.com/embellama/embellama/internal/download"
	"github.com/embellama/embellama/internal/gguf"
	"github.com/embellama/embellama/internal/hub"
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

// envToken is the variable pull reads a hub access token from, for gated
// repositories.
const envToken = "HF_TOKEN"

func runPull(args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("pull", "[NAME | OWNER/REPO | OWNER/REPO/FILE.gguf | URL]  (default: "+defaultPull+"; NAME: see -list)", stderr)
	sum := fs.String("sha256", "", "expected sha256 of the file (default: the hub's listing's or the short name's, else the one the server announces, if any)")
	dir := fs.String("dir", "", "download `directory` (default: the user cache directory's embellama/models)")
	list := fs.Bool("list", false, "print the short names pull knows, with their repository and file, and exit")
	token := fs.String("token", "", "access `token` for a gated repository, sent as a bearer header and never printed (default: $"+envToken+", for OWNER/REPO[/FILE] and short names only: it never goes to a URL's host)")
	file := fs.String("file", "", "the `file` to take from the repository of an OWNER/REPO or a short name (default: chosen by weight format: the fastest near-exact one quantize -type auto measured here, else the published ranking for this CPU)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *list {
		if fs.NArg() > 0 || *file != "" {
			return usageError{errors.New("-list takes no model reference")}
		}
		return printShortNames(stdout)
	}
	if fs.NArg() > 1 {
		return usageError{errors.New("pull takes one model reference")}
	}
	want := strings.ToLower(*sum)
	if want != "" && !download.IsSHA256(want) {
		return usageError{fmt.Errorf("-sha256 %q is not 64 hex digits", *sum)}
	}
	ref := fs.Arg(0)
	if ref == "" {
		if *file != "" {
			return usageError{errors.New("-file needs an OWNER/REPO or a short name")}
		}
		ref = defaultPull
	}
	isURL := strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://")
	if *token == "" && !isURL {
		// $HF_TOKEN is the hub's: it never goes to a URL's host.
		*token = os.Getenv(envToken)
	}
	if *dir == "" {
		var err error
		if *dir, err = pullDir(); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ref, want, err := pullTarget(ctx, ref, *file, want, *token, stderr)
	if err != nil {
		if download.Unreachable(err) {
			return fmt.Errorf("cannot reach %s: %w — copy the .gguf file into %s instead", hostOf(hubURL), rootCause(err), *dir)
		}
		return err
	}
	src, name, err := resolveRef(ref)
	if err != nil {
		return usageError{err}
	}
	return pullFile(ctx, src, filepath.Join(*dir, name), want, *token, stdout, stderr)
}

// pullFile downloads src to dst, verified against want (or the sha256
// the server announces) and as a GGUF file, and prints dst.
func pullFile(ctx context.Context, src, dst, want, token string, stdout, stderr io.Writer) error {
	name, dir := filepath.Base(dst), filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d := &download.Downloader{Token: token, CheckPath: checkOutputPath, Validate: func(path string) error {
		if _, err := gguf.Open(path); err != nil {
			return fmt.Errorf("%s is not a valid GGUF file: %w", name, err)
		}
		return nil
	}}
	if isTerminal(stderr) {
		d.Progress = stderr
	}
	if err := d.Get(ctx, src, dst, want); err != nil {
		if download.Unreachable(err) {
			return fmt.Errorf("cannot reach %s: %w — copy the .gguf file into %s instead", hostOf(src), rootCause(err), dir)
		}
		return err
	}
	fmt.Fprintln(stdout, dst)
	return nil
}

// pullTarget turns what pull was given into the reference to download
// and the sha256 to expect. A short name or an OWNER/REPO names a
// repository: -file takes that file from it, else pullChoose lists the
// repository and picks by weight format. OWNER/REPO/FILE and URLs are
// downloaded as given, and take no -file.
func pullTarget(ctx context.Context, ref, file, want, token string, stderr io.Writer) (string, string, error) {
	repo := ""
	var short *shortName
	if s, ok := lookupShortName(ref); ok {
		repo, short = s.Repo, &s
	} else if !strings.Contains(ref, "://") && strings.Count(ref, "/") == 1 {
		repo = ref
	}
	if repo == "" {
		if file != "" {
			return "", "", usageError{fmt.Errorf("-file takes an OWNER/REPO or a short name, not %q (which names its file)", ref)}
		}
		return ref, want, nil
	}
	if err := hub.CheckRepo(repo); err != nil {
		return "", "", usageError{err}
	}
	for _, seg := range strings.Split(file, "/") {
		if err := hub.CheckName(seg); file != "" && err != nil {
			return "", "", usageError{fmt.Errorf("-file %q: %w", file, err)}
		}
	}
	if file == "" {
		c, err := pullChoose(ctx, repo, token, stderr)
		if err != nil {
			return "", "", err
		}
		file = c.Name
		if want == "" {
			want = c.SHA256
		}
	}
	if short != nil && file == short.File && want == "" {
		want = short.SHA256
	}
	return repo + "/" + file, want, nil
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
		return "", "", fmt.Errorf("%q is not a short name (embellama pull -list), OWNER/REPO/FILE or a URL", ref)
	}
	if err := hub.CheckRepo(parts[0] + "/" + parts[1]); err != nil {
		return "", "", fmt.Errorf("%q: %w", ref, err)
	}
	file := strings.Join(parts[2:], "/")
	escaped := make([]string, 0, len(parts)-2)
	for _, p := range parts[2:] {
		if p == ".." || p == "." || p == "" {
			return "", "", fmt.Errorf("%q: bad file name", ref)
		}
		// Escaped, so that a '?', '#' or '%' in a name stays in the name
		// and cannot make the request ask for another file.
		escaped = append(escaped, url.PathEscape(p))
	}
	if err := plainName(path.Base(file)); err != nil {
		return "", "", fmt.Errorf("%q: %w", ref, err)
	}
	return fmt.Sprintf("%s/%s/%s/resolve/main/%s", hubURL, parts[0], parts[1], strings.Join(escaped, "/")), path.Base(file), nil
}

// plainName refuses a download name that is not a plain file name in
// -dir: empty, . or .., or holding a separator, a drive colon or a NUL.
func plainName(name string) error {
	if name == "" || name == "." || name == ".." || name == "/" || strings.ContainsAny(name, "/\\:\x00") || filepath.Base(name) != name {
		return fmt.Errorf("%q is not a plain file name", name)
	}
	return nil
}

// hostOf returns the host of the URL src, or src.
func hostOf(src string) string {
	if u, err := url.Parse(src); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return src
}

// rootCause returns the innermost error err wraps: "no such host" rather
// than the whole chain of the request that failed.
func rootCause(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
