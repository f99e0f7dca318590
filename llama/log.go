package llama

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ggml_log_level values.
const (
	ggmlLogNone  = 0
	ggmlLogDebug = 1
	ggmlLogInfo  = 2
	ggmlLogWarn  = 3
	ggmlLogError = 4
	ggmlLogCont  = 5
)

var logger atomic.Pointer[slog.Logger]

// SetLogger routes llama.cpp's and ggml's log output to l, one record per
// line, with the attribute source=llama.cpp. llama.cpp's INFO and DEBUG
// lines are logged at [slog.LevelDebug], WARN at [slog.LevelWarn] and ERROR
// at [slog.LevelError]. A nil l discards everything, which is the default:
// the library is quiet unless asked.
func SetLogger(l *slog.Logger) { logger.Store(l) }

// logLine assembles the pieces llama.cpp logs (a message may arrive in
// several calls, continued with GGML_LOG_LEVEL_CONT) into whole lines.
var logLine struct {
	sync.Mutex
	level int32
	buf   strings.Builder
}

// installLogger points llama.cpp's logger at logFromC. The callback is
// created once: purego callbacks are never freed.
var installLogger = sync.OnceFunc(func() {
	llamaLogSet(purego.NewCallback(logFromC), 0)
})

// capture, while not nil, collects the warning and error lines logged,
// so that Load can report why a backend failed to load.
var capture struct {
	sync.Mutex
	lines *[]string
}

func captureLine(level int32, line string) {
	if level != ggmlLogError && level != ggmlLogWarn {
		return
	}
	capture.Lock()
	defer capture.Unlock()
	if capture.lines != nil {
		*capture.lines = append(*capture.lines, line)
	}
}

// logFromC receives void (*)(enum ggml_log_level, const char *, void *).
// The level arrives as a full register; only its low 32 bits are the enum.
func logFromC(level uintptr, text *byte, _ uintptr) uintptr {
	if text == nil {
		return 0
	}
	l := logger.Load()
	lvl := int32(level)
	msg := goString(text)
	logLine.Lock()
	defer logLine.Unlock()
	if lvl != ggmlLogCont {
		logLine.level = lvl
	}
	logLine.buf.WriteString(msg)
	for {
		s := logLine.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			return 0
		}
		line := s[:i]
		logLine.buf.Reset()
		logLine.buf.WriteString(s[i+1:])
		if strings.TrimSpace(line) != "" {
			captureLine(logLine.level, line)
			if l != nil {
				l.Log(context.Background(), slogLevel(logLine.level), line, "source", "llama.cpp")
			}
		}
	}
}

func slogLevel(l int32) slog.Level {
	switch l {
	case ggmlLogWarn:
		return slog.LevelWarn
	case ggmlLogError:
		return slog.LevelError
	}
	return slog.LevelDebug
}

// goString copies the NUL-terminated C string at p.
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}
