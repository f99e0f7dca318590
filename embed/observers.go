package embed

import "sync"

// observers are the batch observers attached to an engine after it was
// built, with [Engine.ObserveBatches].
type observers struct {
	mu   sync.RWMutex
	next int
	fns  map[int]func(BatchInfo)
}

// ObserveBatches calls f, like Config.OnBatch, for every batch that any
// model of the engine evaluates from now on, until remove is called. It
// lets a component built after the engine (an HTTP server's metrics)
// watch its batches without a closure over a variable set later. f must
// return quickly: it runs on the goroutine that evaluated the batch.
func (e *Engine) ObserveBatches(f func(BatchInfo)) (remove func()) {
	o := &e.observers
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fns == nil {
		o.fns = map[int]func(BatchInfo){}
	}
	id := o.next
	o.next++
	o.fns[id] = f
	return sync.OnceFunc(func() {
		o.mu.Lock()
		delete(o.fns, id)
		o.mu.Unlock()
	})
}

// wrap returns a batch callback that calls own (Config.OnBatch, if set)
// and then every attached observer.
func (o *observers) wrap(own func(BatchInfo)) func(BatchInfo) {
	return func(b BatchInfo) {
		if own != nil {
			own(b)
		}
		o.mu.RLock()
		defer o.mu.RUnlock()
		for _, f := range o.fns {
			f(b)
		}
	}
}
