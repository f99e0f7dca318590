package embedbeam

import (
	"context"
	"fmt"
	"sync"

	"github.com/embellama/embellama/embed"
	"github.com/embellama/embellama/platform"
)

// engines shares one engine per configuration among the DoFn instances
// of a worker process: a runner creates an instance per bundle processor
// (often one per core), and each loading its own copy of the model would
// multiply the memory and split the batches that the engine packs.
var engines = struct {
	sync.Mutex
	m map[Config]*sharedEngine
}{m: map[Config]*sharedEngine{}}

type sharedEngine struct {
	e    *embed.Engine
	refs int
}

// acquire returns the process's engine for cfg, opening it on first use.
func acquire(ctx context.Context, cfg Config) (*embed.Engine, error) {
	engines.Lock()
	defer engines.Unlock()
	if s, ok := engines.m[cfg]; ok {
		s.refs++
		return s.e, nil
	}
	ec := embed.Config{EngineConfig: embed.EngineConfig{Library: cfg.Library}, ModelConfig: embed.ModelConfig{ModelPath: cfg.ModelPath, Threads: cfg.Threads}}
	if cfg.Backend != "" {
		b, err := platform.ParseBackend(cfg.Backend)
		if err != nil {
			return nil, fmt.Errorf("embedbeam: %w", err)
		}
		ec.Backend = b
	}
	e, err := embed.New(ctx, ec)
	if err != nil {
		return nil, fmt.Errorf("embedbeam: opening the engine: %w", err)
	}
	engines.m[cfg] = &sharedEngine{e: e, refs: 1}
	return e, nil
}

// release drops one reference to cfg's engine and closes it after the
// last.
func release(cfg Config) error {
	engines.Lock()
	defer engines.Unlock()
	s, ok := engines.m[cfg]
	if !ok {
		return nil
	}
	if s.refs--; s.refs > 0 {
		return nil
	}
	delete(engines.m, cfg)
	return s.e.Close()
}
