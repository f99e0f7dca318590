package embed

import (
	"container/list"
	"sync"
)

// cache is a size-bounded LRU of finished vectors, keyed by the model's
// load, the call options that shape the vector, and the text.
type cache struct {
	mu     sync.Mutex
	limit  int64
	size   int64
	ll     *list.List
	items  map[cacheKey]*list.Element
	hits   uint64
	misses uint64
}

type cacheKey struct {
	model uint64 // the load: a model reloaded under the same name is another
	opts  string
	text  string
}

type cacheEntry struct {
	key cacheKey
	vec []float32
}

// entryOverhead approximates the bookkeeping bytes of one entry.
const entryOverhead = 128

func newCache(limit int64) *cache {
	if limit <= 0 {
		return nil
	}
	return &cache{limit: limit, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

func entrySize(k cacheKey, v []float32) int64 {
	return int64(len(k.text)+len(k.opts)+4*len(v)) + entryOverhead
}

// get returns a copy of the cached vector.
func (c *cache) get(k cacheKey) ([]float32, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	c.ll.MoveToFront(e)
	return append([]float32(nil), e.Value.(*cacheEntry).vec...), true
}

// put stores a copy of v, evicting the least recently used entries.
func (c *cache) put(k cacheKey, v []float32) {
	if c == nil {
		return
	}
	size := entrySize(k, v)
	if size > c.limit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{key: k, vec: append([]float32(nil), v...)})
	c.size += size
	for c.size > c.limit {
		e := c.ll.Back()
		ent := e.Value.(*cacheEntry)
		c.ll.Remove(e)
		delete(c.items, ent.key)
		c.size -= entrySize(ent.key, ent.vec)
	}
}

// dropModel removes every entry of a model load.
func (c *cache) dropModel(id uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.ll.Front(); e != nil; {
		next := e.Next()
		if ent := e.Value.(*cacheEntry); ent.key.model == id {
			c.ll.Remove(e)
			delete(c.items, ent.key)
			c.size -= entrySize(ent.key, ent.vec)
		}
		e = next
	}
}

// CacheStats reports the vector cache's use.
type CacheStats struct {
	Hits, Misses uint64
	Entries      int
	Bytes, Limit int64
}

func (c *cache) stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Hits: c.hits, Misses: c.misses, Entries: c.ll.Len(), Bytes: c.size, Limit: c.limit}
}
