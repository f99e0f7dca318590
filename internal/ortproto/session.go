package ortproto

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
)

// Options configure a session the way bench_ort.mjs configures
// onnxruntime-node: the CPU execution provider, sequential execution,
// graph optimization "all".
type Options struct {
	// Threads is ONNX Runtime's intra-op thread count (0: its default,
	// one per core).
	Threads int
}

// Session is a loaded ONNX graph. Its methods are not safe for
// concurrent use.
type Session struct {
	rt      *Runtime
	s       uintptr // OrtSession*
	inputs  []string
	outputs []string
	hasType bool // the graph takes token_type_ids

	closeOnce sync.Once
}

// NewSession loads the ONNX file at path. The graph must take input_ids
// and attention_mask (and optionally token_type_ids), int64 [batch, seq],
// and have an output of float32 [batch, hidden] (pooled:
// sentence_embedding) or [batch, seq, hidden] (token states, mean-pooled
// here).
func (r *Runtime) NewSession(path string, o Options) (*Session, error) {
	if runtime.GOOS == "windows" {
		return nil, ErrUnsupported
	}
	var so uintptr
	if err := r.call("CreateSessionOptions", fnCreateSessionOptions, ptr(&so)); err != nil {
		return nil, err
	}
	defer r.release(fnReleaseSessionOptions, so)
	steps := []struct {
		name string
		fn   int
		arg  uintptr
	}{
		{"SetIntraOpNumThreads", fnSetIntraOpNumThreads, uintptr(o.Threads)},
		{"SetInterOpNumThreads", fnSetInterOpNumThreads, 1},
		{"SetSessionExecutionMode", fnSetSessionExecutionMode, ortSequential},
		{"SetSessionGraphOptimizationLevel", fnSetSessionGraphOptimizationLevel, ortEnableAll},
	}
	for _, st := range steps {
		if err := r.call(st.name, st.fn, so, st.arg); err != nil {
			return nil, err
		}
	}
	cpath := cString(path)
	s := &Session{rt: r}
	err := r.call("CreateSession", fnCreateSession, r.env, ptr(&cpath[0]), so, ptr(&s.s))
	runtime.KeepAlive(cpath)
	if err != nil {
		return nil, err
	}
	if err := s.discover(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// discover reads the graph's input and output names and checks them.
func (s *Session) discover() error {
	var err error
	if s.inputs, err = s.names("input", fnSessionGetInputCount, fnSessionGetInputName); err != nil {
		return err
	}
	if s.outputs, err = s.names("output", fnSessionGetOutputCount, fnSessionGetOutputName); err != nil {
		return err
	}
	for _, in := range s.inputs {
		switch in {
		case "input_ids", "attention_mask":
		case "token_type_ids":
			s.hasType = true
		default:
			return fmt.Errorf("%w: input %q (want input_ids, attention_mask, token_type_ids)", ErrModel, in)
		}
	}
	if !slices.Contains(s.inputs, "input_ids") || !slices.Contains(s.inputs, "attention_mask") {
		return fmt.Errorf("%w: inputs %q lack input_ids or attention_mask", ErrModel, s.inputs)
	}
	if len(s.outputs) == 0 {
		return fmt.Errorf("%w: no outputs", ErrModel)
	}
	// Prefer the pooled output when the graph has one.
	if i := slices.Index(s.outputs, "sentence_embedding"); i > 0 {
		s.outputs[0], s.outputs[i] = s.outputs[i], s.outputs[0]
	}
	s.outputs = s.outputs[:1]
	return nil
}

func (s *Session) names(kind string, countFn, nameFn int) ([]string, error) {
	r := s.rt
	var n uintptr
	if err := r.call("SessionGet"+kind+"Count", countFn, s.s, ptr(&n)); err != nil {
		return nil, err
	}
	names := make([]string, 0, n)
	for i := range n {
		var p uintptr
		if err := r.call("SessionGet"+kind+"Name", nameFn, s.s, i, r.alloc, ptr(&p)); err != nil {
			return nil, err
		}
		names = append(names, goString(p))
		if err := r.call("AllocatorFree", fnAllocatorFree, r.alloc, p); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// Inputs returns the graph's input names.
func (s *Session) Inputs() []string { return slices.Clone(s.inputs) }

// Output returns the name of the output the session reads.
func (s *Session) Output() string { return s.outputs[0] }

// Close releases the session. It is idempotent.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		if s.s != 0 {
			s.rt.release(fnReleaseSession, s.s)
			s.s = 0
		}
	})
}
