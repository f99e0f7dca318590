// Package sched is the engine's scheduler: it packs the inputs of
// concurrent calls into batches, serves calls round-robin, shares one CPU
// thread budget among its workers, and delivers each input's output or
// error to its call. It knows nothing of llama.cpp: each worker drives an
// [Evaluator] (package embed's wraps one llama context), so every
// scheduling choice is unit-tested with a fake one, without the native
// library.
//
// The measured choices it keeps (see RATIONALE.md): one thread budget
// shared by all workers, a batch alone gets all free threads; the idle
// worker woken is the one active last (LIFO), and only when a thread is
// free for it; each worker goroutine keeps its OS thread; a canceled call's
// untaken inputs are withdrawn at once; a batch that fails as a whole is
// retried input by input.
package sched
