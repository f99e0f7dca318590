// classify.c: llama.cpp's own class outputs of a sequence classifier,
// through its C API. A single text is tokenized as llama-embedding does
// (llama_tokenize with add_special), a pair is laid out as the pinned
// llama-server lays out a rerank pair (see rerank.c); the outputs are
// llama_get_embeddings_seq's n_cls_out floats, as llama-embedding
// --pooling rank prints them. One input per context and decode.
//
// Output: first "<n_cls_out>" and one label per line (llama_model_cls_label,
// "" when none), then per input on stdin ("1 <len>\n<bytes>" or
// "2 <len1> <len2>\n<bytes><bytes>") "<n_tokens> <out %.9g>...\n".
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
#include "ggml-backend.h"

static int tokenize(const struct llama_vocab *v, const char *text, int len, llama_token *out, int max, int add_special) {
	int n = llama_tokenize(v, text, len, out, max, add_special, 0);
	if (n < 0) { fprintf(stderr, "tokenize: %d\n", n); exit(1); }
	return n;
}

static char *readn(size_t n) {
	char *s = calloc(n + 1, 1);
	if (fread(s, 1, n, stdin) != n) { fprintf(stderr, "short input\n"); exit(1); }
	return s;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: classify LIBDIR MODEL NCTX\n"); return 2; }
	ggml_backend_load_all_from_path(argv[1]);
	llama_backend_init();
	struct llama_model_params mp = llama_model_default_params();
	mp.n_gpu_layers = 0;
	struct llama_model *model = llama_model_load_from_file(argv[2], mp);
	if (!model) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
	const struct llama_vocab *vocab = llama_model_get_vocab(model);
	int nctx = atoi(argv[3]);
	uint32_t ncls = llama_model_n_cls_out(model);
	printf("%u\n", ncls);
	for (uint32_t i = 0; i < ncls; i++) {
		const char *l = llama_model_cls_label(model, i);
		printf("%s\n", l ? l : "");
	}
	llama_token *toks = malloc(sizeof(llama_token) * nctx * 4);
	int k;
	while (scanf("%d", &k) == 1) {
		size_t l1 = 0, l2 = 0;
		if (scanf("%zu", &l1) != 1 || (k == 2 && scanf("%zu", &l2) != 1)) { fprintf(stderr, "bad header\n"); return 1; }
		getchar();
		char *a = readn(l1), *b = k == 2 ? readn(l2) : NULL;
		int n = 0;
		if (k == 1) {
			n = tokenize(vocab, a, l1, toks, nctx * 4, 1);
		} else {
			llama_token eos = llama_vocab_eos(vocab);
			if (eos == LLAMA_TOKEN_NULL) eos = llama_vocab_sep(vocab);
			if (llama_vocab_get_add_bos(vocab)) toks[n++] = llama_vocab_bos(vocab);
			n += tokenize(vocab, a, l1, toks + n, nctx * 4 - n, 0);
			if (llama_vocab_get_add_eos(vocab)) toks[n++] = eos;
			if (llama_vocab_get_add_sep(vocab)) toks[n++] = llama_vocab_sep(vocab);
			n += tokenize(vocab, b, l2, toks + n, nctx * 4 - n, 0);
			if (llama_vocab_get_add_eos(vocab)) toks[n++] = eos;
		}
		if (n > nctx) { fprintf(stderr, "input of %d tokens over %d\n", n, nctx); return 1; }
		struct llama_context_params cp = llama_context_default_params();
		cp.embeddings = 1;
		cp.pooling_type = LLAMA_POOLING_TYPE_RANK;
		cp.n_ctx = cp.n_batch = cp.n_ubatch = nctx;
		cp.n_seq_max = 1;
		cp.n_threads = cp.n_threads_batch = 2;
		cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; // as rerank.c
		struct llama_context *ctx = llama_init_from_model(model, cp);
		if (!ctx) { fprintf(stderr, "no context\n"); return 1; }
		struct llama_batch bt = llama_batch_init(n, 0, 1);
		for (int i = 0; i < n; i++) {
			bt.token[i] = toks[i]; bt.pos[i] = i; bt.n_seq_id[i] = 1; bt.seq_id[i][0] = 0; bt.logits[i] = 1;
		}
		bt.n_tokens = n;
		int rc = llama_model_has_encoder(model) && !llama_model_has_decoder(model) ? llama_encode(ctx, bt) : llama_decode(ctx, bt);
		if (rc != 0) { fprintf(stderr, "decode: %d\n", rc); return 1; }
		const float *e = llama_get_embeddings_seq(ctx, 0);
		if (!e) { fprintf(stderr, "no output\n"); return 1; }
		printf("%d", n);
		for (uint32_t i = 0; i < ncls; i++) printf(" %.9g", e[i]);
		printf("\n");
		fflush(stdout);
		llama_batch_free(bt);
		llama_free(ctx);
		free(a); free(b);
	}
	llama_model_free(model);
	return 0;
}
