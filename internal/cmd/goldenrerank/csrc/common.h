// common.h: what rerank.c and classify.c share: the model loaded on the
// CPU, tokenizing, a pair laid out as the pinned llama-server lays out a
// rerank pair, and one input run through a context of its own.
#ifndef GOLDENRERANK_COMMON_H
#define GOLDENRERANK_COMMON_H

#include <stddef.h>
#include "llama.h"

// load_model loads the ggml backends of libdir and the model at path,
// with no layer offloaded; it exits on failure.
struct llama_model *load_model(const char *libdir, const char *path);

// tokenize is llama_tokenize into out (max tokens); it exits on failure.
int tokenize(const struct llama_vocab *v, const char *text, int len, llama_token *out, int max, int add_special, int parse_special);

// tokenize_pair lays a, b out as the pinned llama-server's
// format_prompt_rerank does when the model has no rerank template:
// [BOS] a [EOS] [SEP] b [EOS], each special token as the vocabulary adds
// it. It returns the number of tokens written to out.
int tokenize_pair(const struct llama_vocab *v, const char *a, size_t la, const char *b, size_t lb, llama_token *out, int max);

// run_rank runs the n tokens of toks as one sequence through a fresh
// context of nctx tokens with rank pooling (CPU threads 2, flash
// attention off) and copies the first nout floats of the sequence's
// embedding into out; it exits on failure.
void run_rank(struct llama_model *model, const llama_token *toks, int n, int nctx, float *out, int nout);

// readn reads n bytes of stdin into a new NUL-terminated string; it
// exits on short input.
char *readn(size_t n);

#endif
