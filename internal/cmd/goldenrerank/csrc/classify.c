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
#include "common.h"

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: classify LIBDIR MODEL NCTX\n"); return 2; }
	struct llama_model *model = load_model(argv[1], argv[2]);
	const struct llama_vocab *vocab = llama_model_get_vocab(model);
	int nctx = atoi(argv[3]);
	uint32_t ncls = llama_model_n_cls_out(model);
	printf("%u\n", ncls);
	for (uint32_t i = 0; i < ncls; i++) {
		const char *l = llama_model_cls_label(model, i);
		printf("%s\n", l ? l : "");
	}
	llama_token *toks = malloc(sizeof(llama_token) * nctx * 4);
	float *out = malloc(sizeof(float) * (ncls ? ncls : 1));
	int k;
	while (scanf("%d", &k) == 1) {
		size_t l1 = 0, l2 = 0;
		if (scanf("%zu", &l1) != 1 || (k == 2 && scanf("%zu", &l2) != 1)) { fprintf(stderr, "bad header\n"); return 1; }
		getchar();
		char *a = readn(l1), *b = k == 2 ? readn(l2) : NULL;
		int n = k == 1 ? tokenize(vocab, a, l1, toks, nctx * 4, 1, 0) : tokenize_pair(vocab, a, l1, b, l2, toks, nctx * 4);
		if (n > nctx) { fprintf(stderr, "input of %d tokens over %d\n", n, nctx); return 1; }
		run_rank(model, toks, n, nctx, out, ncls);
		printf("%d", n);
		for (uint32_t i = 0; i < ncls; i++) printf(" %.9g", out[i]);
		printf("\n");
		fflush(stdout);
		free(a); free(b);
	}
	llama_model_free(model);
	return 0;
}
