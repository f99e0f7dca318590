package nativebuild

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/embellama/embellama/internal/libinstall"
	"github.com/embellama/embellama/platform"
)

// ErrBuild is matched by the error of [Build] when CMake fails to
// configure or compile; the error holds the end of its output and the
// path of the full log.
var ErrBuild = errors.New("nativebuild: build failed")

// Options says what to build and where to install it.
type Options struct {
	// Pin is the library to build: platform.NativePin of this system.
	Pin platform.Pin
	// Source is the llama.cpp release in Pin's package (its Commit is
	// checked); the zero value means platform.SourceFor(Pin.LlamaVersion).
	Source platform.Source
	// LibDir is the library folder (see libinstall.Options).
	LibDir string
	// CacheDir and Fetch fetch the source package, as libinstall's do.
	CacheDir string
	Fetch    libinstall.Fetcher
	// WorkDir holds the source and the build tree; empty means a fresh
	// temporary folder, removed afterwards.
	WorkDir string
	// Jobs is the number of parallel compile jobs; 0 means runtime.NumCPU.
	Jobs int
	// CMakeArgs replace [CMakeArgs] when not nil (the flag measurements).
	// Either follows the flags that keep ggml's AMX kernels out (see
	// noAMXArgs), so a CMAKE_C_FLAGS or CMAKE_CXX_FLAGS here replaces them.
	CMakeArgs []string
	// Progress receives a line per step and per compiled file.
	Progress io.Writer
	// Getenv and LookPath find the tools (see [FindTools]); nil means
	// os.Getenv and exec.LookPath.
	Getenv   func(string) string
	LookPath func(string) (string, error)
}

// Result says what [Build] did.
type Result struct {
	libinstall.Result
	// Tools are the programs that built it; Compiler is the first line of
	// the C++ compiler's --version.
	Tools    Tools
	Compiler string
	// Elapsed is the time from the start to the installed library.
	Elapsed time.Duration
}

// CMakeArgs returns the configuration of the native library: a release
// build of shared libraries for this CPU (GGML_NATIVE) with the CPU
// backend linked in (GGML_BACKEND_DL off: ggml cannot load a native CPU
// backend as a module), nothing but the libraries, and the kernel
// options measured fastest on the reference machine (docs/performance.md,
// "Native build flags").
func CMakeArgs() []string {
	return []string{
		"-DCMAKE_BUILD_TYPE=Release",
		"-DBUILD_SHARED_LIBS=ON",
		"-DGGML_BACKEND_DL=OFF",
		"-DGGML_NATIVE=ON",
		"-DLLAMA_CURL=OFF",
		"-DLLAMA_OPENSSL=OFF",
		"-DLLAMA_BUILD_COMMON=OFF",
		"-DLLAMA_BUILD_TESTS=OFF",
		"-DLLAMA_BUILD_EXAMPLES=OFF",
		"-DLLAMA_BUILD_TOOLS=OFF",
		"-DLLAMA_BUILD_SERVER=OFF",
		// ggml's defaults, kept on purpose (MiniLM shape, median of 8
		// alternating rounds, noise +-10%): llamafile kernels off ran
		// Q8_0 at 0.55x and F16 at 0.95x; OpenMP off 1.01x F16, 1.00x
		// Q8_0, no different.
		"-DGGML_OPENMP=ON",
		"-DGGML_LLAMAFILE=ON",
	}
}

// Build fetches and checks the source package of opts.Pin, unpacks the
// llama.cpp release, compiles its library targets with CMake and the
// system compiler, and installs the shared libraries and the licence into
// opts.LibDir/<os>-<arch>-native with a manifest (libinstall.Place).
// Errors match [ErrMissingTool] or [ErrToolProbe] (before anything is
// fetched), the errors of libinstall.Tarball, [ErrSource] or [ErrBuild].
func Build(ctx context.Context, opts Options) (Result, error) {
	start := time.Now()
	b, err := newBuild(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	if b.work == "" {
		if b.work, err = os.MkdirTemp("", "embellama-build-"); err != nil {
			return Result{}, fmt.Errorf("nativebuild: %w", err)
		}
		defer os.RemoveAll(b.work)
	}
	lo := libinstall.Options{Pin: opts.Pin, LibDir: opts.LibDir, CacheDir: opts.CacheDir, Fetch: opts.Fetch, Progress: b.progress}
	pkg := opts.Pin.Packages[0]
	b.say("source: %s (llama.cpp %s, %s)", pkg.Spec(), b.src.Tag, b.src.Commit)
	tgz, err := libinstall.Tarball(ctx, lo, pkg)
	if err != nil {
		return Result{}, err
	}
	bundle := filepath.Join(b.work, "gitRelease.bundle")
	if err := extractBundle(tgz, bundle); err != nil {
		return Result{}, err
	}
	srcDir := filepath.Join(b.work, "llama.cpp")
	os.RemoveAll(srcDir)
	if err := unbundle(ctx, b.tools.Git, bundle, srcDir, b.src.Commit); err != nil {
		return Result{}, err
	}
	b.say("unpacked llama.cpp %s into %s", b.src.Commit, srcDir)
	binDir, err := b.compile(ctx, srcDir, filepath.Join(b.work, "build"))
	if err != nil {
		return Result{}, err
	}
	files, err := b.collect(srcDir, binDir)
	if err != nil {
		return Result{}, err
	}
	notes := []string{
		"build compiler " + b.compiler,
		"build cmake " + strings.Join(b.args, " "),
		"build date " + time.Now().UTC().Format(time.RFC3339) + " in " + time.Since(start).Round(time.Second).String(),
	}
	res, err := libinstall.Place(lo, binDir, files, notes)
	if err != nil {
		return Result{}, err
	}
	b.say("installed %d files into %s (%s)", len(res.Files), res.Dir, time.Since(start).Round(time.Second))
	return Result{Result: res, Tools: b.tools, Compiler: b.compiler, Elapsed: time.Since(start)}, nil
}

type build struct {
	opts     Options
	src      platform.Source
	tools    Tools
	compiler string
	args     []string
	work     string
	progress io.Writer
}

// newBuild checks the options, finds the tools and probes the compilers:
// a missing tool, or a compiler that does not answer, is reported before
// anything is downloaded.
func newBuild(ctx context.Context, opts Options) (*build, error) {
	if len(opts.Pin.Packages) != 1 {
		return nil, fmt.Errorf("nativebuild: the pin %s names %d packages, want its one source package", opts.Pin.Dir(), len(opts.Pin.Packages))
	}
	b := &build{opts: opts, src: opts.Source, work: opts.WorkDir, progress: opts.Progress, args: opts.CMakeArgs}
	if b.progress == nil {
		b.progress = io.Discard
	}
	if b.args == nil {
		b.args = CMakeArgs()
	}
	if b.src.Commit == "" {
		s, err := platform.SourceFor(opts.Pin.LlamaVersion)
		if err != nil {
			return nil, err
		}
		b.src = s
	}
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	t, err := FindTools(getenv, opts.LookPath)
	if err != nil {
		return nil, err
	}
	b.tools = t
	// The AMX flags go first: a CMAKE_C_FLAGS in opts.CMakeArgs replaces them.
	noAMX, err := noAMXArgs(ctx, t, getenv)
	if err != nil {
		return nil, err
	}
	b.args = append(noAMX, b.args...)
	if b.compiler, err = compilerVersion(ctx, t.CXX); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *build) say(format string, args ...any) {
	fmt.Fprintf(b.progress, "lib build: "+format+"\n", args...)
}

// compile configures and builds the library targets into buildDir and
// returns the folder that holds the shared libraries.
func (b *build) compile(ctx context.Context, srcDir, buildDir string) (string, error) {
	jobs := b.opts.Jobs
	if jobs <= 0 {
		jobs = runtime.NumCPU()
	}
	log := filepath.Join(b.work, "build.log")
	args := append([]string{"-S", srcDir, "-B", buildDir,
		"-DCMAKE_C_COMPILER=" + b.tools.CC, "-DCMAKE_CXX_COMPILER=" + b.tools.CXX}, rpathArgs(runtime.GOOS)...)
	args = append(args, b.args...)
	b.say("configuring with %s (%s)", b.tools.CMake, b.compiler)
	if err := b.cmake(ctx, log, args...); err != nil {
		return "", err
	}
	b.say("compiling the llama and ggml libraries, %d jobs (minutes; the log is %s)", jobs, log)
	if err := b.cmake(ctx, log, "--build", buildDir, "--config", "Release", "-j", fmt.Sprint(jobs), "--target", "llama"); err != nil {
		return "", err
	}
	for _, d := range []string{filepath.Join(buildDir, "bin", "Release"), filepath.Join(buildDir, "bin")} {
		if platform.Scan(d, runtime.GOOS).Llama != "" {
			return d, nil
		}
	}
	return "", fmt.Errorf("%w: cmake built no llama library into %s (see %s)", ErrBuild, filepath.Join(buildDir, "bin"), log)
}

// progressLine matches CMake's progress lines ("[ 42%] Building C
// object …", "[ 42%] Linking CXX shared library …").
var progressLine = regexp.MustCompile(`^\[\s*\d+%\] `)

// cmake runs cmake with args, appending its output to the log and
// passing its progress lines on.
func (b *build) cmake(ctx context.Context, log string, args ...string) error {
	f, err := os.OpenFile(log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("nativebuild: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(f, "$ cmake %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, b.tools.CMake, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	done := make(chan []string)
	go func() {
		var tail []string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			tail = append(tail[max(0, len(tail)-19):], line)
			if progressLine.MatchString(line) {
				fmt.Fprintf(b.progress, "  %s\n", line)
			}
		}
		io.Copy(io.Discard, pr)
		done <- tail
	}()
	err = cmd.Run()
	pw.Close()
	tail := <-done
	if err != nil {
		return fmt.Errorf("%w: cmake %s: %w (full log: %s)\n%s", ErrBuild, args[0], err, log, strings.Join(tail, "\n"))
	}
	return nil
}

// collect copies the licence beside the libraries and returns the names
// to install: every shared library of binDir (with the links that name
// them by version) and the licence.
func (b *build) collect(srcDir, binDir string) ([]string, error) {
	ents, err := os.ReadDir(binDir)
	if err != nil {
		return nil, fmt.Errorf("nativebuild: %w", err)
	}
	var files []string
	for _, e := range ents {
		if !e.IsDir() && platform.IsSharedLibrary(e.Name()) {
			files = append(files, e.Name())
		}
	}
	lic, err := os.ReadFile(filepath.Join(srcDir, "LICENSE"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSource, err)
	}
	if err := os.WriteFile(filepath.Join(binDir, licenceName), lic, 0o644); err != nil {
		return nil, fmt.Errorf("nativebuild: %w", err)
	}
	files = append(files, licenceName)
	slices.Sort(files)
	return files, nil
}

// licenceName is the name llama.cpp's licence is installed under.
const licenceName = "LICENSE.llama.cpp"

// rpathArgs makes the libraries find each other in the folder they are
// installed in: the build tree's own run path names the build folder,
// which is removed, so libllama would not find libggml once installed.
func rpathArgs(goos string) []string {
	switch goos {
	case "windows":
		return nil // a DLL's dependencies are looked up beside it
	case "darwin", "ios":
		return []string{"-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON", "-DCMAKE_INSTALL_RPATH=@loader_path", "-DCMAKE_INSTALL_NAME_DIR=@rpath"}
	}
	return []string{"-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON", "-DCMAKE_INSTALL_RPATH=$ORIGIN"}
}
