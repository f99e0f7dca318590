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
#include "common.h"

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

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: rerank LIBDIR MODEL NCTX\n"); return 2; }
	struct llama_model *model = load_model(argv[1], argv[2]);
	const struct llama_vocab *vocab = llama_model_get_vocab(model);
	int nctx = atoi(argv[3]);
	const char *tmpl = llama_model_chat_template(model, "rerank");
	llama_token *toks = malloc(sizeof(llama_token) * nctx * 4);
	size_t ql, dl;
	while (scanf("%zu %zu", &ql, &dl) == 2) {
		getchar();
		char *q = readn(ql), *d = readn(dl);
		int n = 0;
		if (tmpl) {
			char *a = replace_all(tmpl, "{query}", q), *p = replace_all(a, "{document}", d);
			n = tokenize(vocab, p, strlen(p), toks, nctx * 4, 0, 1);
			free(a); free(p);
		} else {
			n = tokenize_pair(vocab, q, ql, d, dl, toks, nctx * 4);
		}
		if (n > nctx) { fprintf(stderr, "pair of %d tokens over %d\n", n, nctx); return 1; }
		float score;
		run_rank(model, toks, n, nctx, &score, 1);
		printf("%.9g %d\n", score, n);
		fflush(stdout);
		free(q); free(d);
	}
	llama_model_free(model);
	return 0;
}
