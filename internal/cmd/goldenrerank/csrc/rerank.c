// rerank.c: llama.cpp's own rerank scores, through its C API, with the
// pair laid out as the pinned llama-server does (format_prompt_rerank in
// tools/server/server-common.cpp) and the score read as its send_rerank
// does (embd[0] of the sequence). One pair per context and decode.
//
// Input on stdin, per pair: "<query bytes> <doc bytes>\n" then the bytes
// of both. Output: "<score %.9g> <n_tokens>\n" per pair.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
#include "ggml-backend.h"

static char *replace_all(const char *s, const char *from, const char *to) {
	size_t ls = strlen(s), lf = strlen(from), lt = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)); p += lf) n++;
	char *out = malloc(ls + n * (lt > lf ? lt - lf : 0) + 1), *o = out;
	const char *p = s, *q;
	while ((q = strstr(p, from))) {
		memcpy(o, p, q - p); o += q - p;
		memcpy(o, to, lt); o += lt;
		p = q + lf;
	}
	strcpy(o, p);
	return out;
}

static int tokenize(const struct llama_vocab *v, const char *text, int len, llama_token *out, int max, int parse_special) {
	int n = llama_tokenize(v, text, len, out, max, 0, parse_special);
	if (n < 0) { fprintf(stderr, "tokenize: %d\n", n); exit(1); }
	return n;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: rerank LIBDIR MODEL NCTX\n"); return 2; }
	ggml_backend_load_all_from_path(argv[1]);
	llama_backend_init();
	struct llama_model_params mp = llama_model_default_params();
	mp.n_gpu_layers = 0;
	struct llama_model *model = llama_model_load_from_file(argv[2], mp);
	if (!model) { fprintf(stderr, "cannot load %s\n", argv[2]); return 1; }
	const struct llama_vocab *vocab = llama_model_get_vocab(model);
	int nctx = atoi(argv[3]);
	const char *tmpl = llama_model_chat_template(model, "rerank");
	llama_token *toks = malloc(sizeof(llama_token) * nctx * 4);
	size_t ql, dl;
	while (scanf("%zu %zu", &ql, &dl) == 2) {
		getchar();
		char *q = calloc(ql + 1, 1), *d = calloc(dl + 1, 1);
		if (fread(q, 1, ql, stdin) != ql || fread(d, 1, dl, stdin) != dl) { fprintf(stderr, "short input\n"); return 1; }
		int n = 0;
		if (tmpl) {
			char *a = replace_all(tmpl, "{query}", q), *p = replace_all(a, "{document}", d);
			n = tokenize(vocab, p, strlen(p), toks, nctx * 4, 1);
			free(a); free(p);
		} else {
			llama_token eos = llama_vocab_eos(vocab);
			if (eos == LLAMA_TOKEN_NULL) eos = llama_vocab_sep(vocab);
			if (llama_vocab_get_add_bos(vocab)) toks[n++] = llama_vocab_bos(vocab);
			n += tokenize(vocab, q, ql, toks + n, nctx * 4 - n, 0);
			if (llama_vocab_get_add_eos(vocab)) toks[n++] = eos;
			if (llama_vocab_get_add_sep(vocab)) toks[n++] = llama_vocab_sep(vocab);
			n += tokenize(vocab, d, dl, toks + n, nctx * 4 - n, 0);
			if (llama_vocab_get_add_eos(vocab)) toks[n++] = eos;
		}
		if (n > nctx) { fprintf(stderr, "pair of %d tokens over %d\n", n, nctx); return 1; }
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
		if (!ctx) { fprintf(stderr, "no context\n"); return 1; }
		struct llama_batch b = llama_batch_init(n, 0, 1);
		for (int i = 0; i < n; i++) {
			b.token[i] = toks[i]; b.pos[i] = i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = 1;
		}
		b.n_tokens = n;
		int rc = llama_model_has_encoder(model) && !llama_model_has_decoder(model) ? llama_encode(ctx, b) : llama_decode(ctx, b);
		if (rc != 0) { fprintf(stderr, "decode: %d\n", rc); return 1; }
		const float *e = llama_get_embeddings_seq(ctx, 0);
		if (!e) { fprintf(stderr, "no score\n"); return 1; }
		printf("%.9g %d\n", e[0], n);
		fflush(stdout);
		llama_batch_free(b);
		llama_free(ctx);
		free(q); free(d);
	}
	llama_model_free(model);
	return 0;
}
