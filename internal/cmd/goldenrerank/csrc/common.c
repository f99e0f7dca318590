// common.c: see common.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ggml-backend.h"
#include "common.h"

struct llama_model *load_model(const char *libdir, const char *path) {
	ggml_backend_load_all_from_path(libdir);
	llama_backend_init();
	struct llama_model_params mp = llama_model_default_params();
	mp.n_gpu_layers = 0;
	struct llama_model *model = llama_model_load_from_file(path, mp);
	if (!model) { fprintf(stderr, "cannot load %s\n", path); exit(1); }
	return model;
}

int tokenize(const struct llama_vocab *v, const char *text, int len, llama_token *out, int max, int add_special, int parse_special) {
	int n = llama_tokenize(v, text, len, out, max, add_special, parse_special);
	if (n < 0) { fprintf(stderr, "tokenize: %d\n", n); exit(1); }
	return n;
}

int tokenize_pair(const struct llama_vocab *v, const char *a, size_t la, const char *b, size_t lb, llama_token *out, int max) {
	int n = 0;
	llama_token eos = llama_vocab_eos(v);
	if (eos == LLAMA_TOKEN_NULL) eos = llama_vocab_sep(v);
	if (llama_vocab_get_add_bos(v)) out[n++] = llama_vocab_bos(v);
	n += tokenize(v, a, la, out + n, max - n, 0, 0);
	if (llama_vocab_get_add_eos(v)) out[n++] = eos;
	if (llama_vocab_get_add_sep(v)) out[n++] = llama_vocab_sep(v);
	n += tokenize(v, b, lb, out + n, max - n, 0, 0);
	if (llama_vocab_get_add_eos(v)) out[n++] = eos;
	return n;
}

void run_rank(struct llama_model *model, const llama_token *toks, int n, int nctx, float *out, int nout) {
	struct llama_context_params cp = llama_context_default_params();
	cp.embeddings = 1;
	cp.pooling_type = LLAMA_POOLING_TYPE_RANK;
	cp.n_ctx = cp.n_batch = cp.n_ubatch = nctx;
	cp.n_seq_max = 1;
	cp.n_threads = cp.n_threads_batch = 2;
	// Flash attention off, as embellama runs rerankers on the CPU:
	// ggml's CPU kernel accumulates in F16 and moves packed scores.
	cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
	struct llama_context *ctx = llama_init_from_model(model, cp);
	if (!ctx) { fprintf(stderr, "no context\n"); exit(1); }
	struct llama_batch b = llama_batch_init(n, 0, 1);
	for (int i = 0; i < n; i++) {
		b.token[i] = toks[i]; b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = 1;
	}
	b.n_tokens = n;
	int rc = llama_model_has_encoder(model) && !llama_model_has_decoder(model) ? llama_encode(ctx, b) : llama_decode(ctx, b);
	if (rc != 0) { fprintf(stderr, "decode: %d\n", rc); exit(1); }
	const float *e = llama_get_embeddings_seq(ctx, 0);
	if (!e) { fprintf(stderr, "no output\n"); exit(1); }
	memcpy(out, e, sizeof(float) * nout);
	llama_batch_free(b);
	llama_free(ctx);
}

char *readn(size_t n) {
	char *s = calloc(n + 1, 1);
	if (fread(s, 1, n, stdin) != n) { fprintf(stderr, "short input\n"); exit(1); }
	return s;
}
