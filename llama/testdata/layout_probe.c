// Prints the size of every struct the Go bindings mirror and the offset and
// size of each field, one per line, sorted as written here. Compiled by
// layout_test.go against the pinned llama.cpp headers; its output must equal
// layout.golden and the Go mirrors.
#include <stddef.h>
#include <stdio.h>

#include "llama.h"

#define SIZE(S) printf("%s size %zu\n", #S, sizeof(struct S))
#define FIELD(S, f) printf("%s.%s %zu %zu\n", #S, #f, offsetof(struct S, f), sizeof(((struct S *)0)->f))

int main(void) {
    SIZE(llama_model_params);
    FIELD(llama_model_params, devices);
    FIELD(llama_model_params, tensor_buft_overrides);
    FIELD(llama_model_params, n_gpu_layers);
    FIELD(llama_model_params, split_mode);
    FIELD(llama_model_params, load_mode);
    FIELD(llama_model_params, lazy_mode);
    FIELD(llama_model_params, main_gpu);
    FIELD(llama_model_params, tensor_split);
    FIELD(llama_model_params, progress_callback);
    FIELD(llama_model_params, progress_callback_user_data);
    FIELD(llama_model_params, kv_overrides);
    FIELD(llama_model_params, vocab_only);
    FIELD(llama_model_params, check_tensors);
    FIELD(llama_model_params, use_extra_bufts);
    FIELD(llama_model_params, no_host);
    FIELD(llama_model_params, no_alloc);
    FIELD(llama_model_params, load_mtp);

    SIZE(llama_context_params);
    FIELD(llama_context_params, n_ctx);
    FIELD(llama_context_params, n_batch);
    FIELD(llama_context_params, n_ubatch);
    FIELD(llama_context_params, n_seq_max);
    FIELD(llama_context_params, n_rs_seq);
    FIELD(llama_context_params, n_outputs_max);
    FIELD(llama_context_params, n_outputs_max_per_seq);
    FIELD(llama_context_params, n_threads);
    FIELD(llama_context_params, n_threads_batch);
    FIELD(llama_context_params, ctx_type);
    FIELD(llama_context_params, rope_scaling_type);
    FIELD(llama_context_params, pooling_type);
    FIELD(llama_context_params, attention_type);
    FIELD(llama_context_params, flash_attn_type);
    FIELD(llama_context_params, rope_freq_base);
    FIELD(llama_context_params, rope_freq_scale);
    FIELD(llama_context_params, yarn_ext_factor);
    FIELD(llama_context_params, yarn_attn_factor);
    FIELD(llama_context_params, yarn_beta_fast);
    FIELD(llama_context_params, yarn_beta_slow);
    FIELD(llama_context_params, yarn_orig_ctx);
    FIELD(llama_context_params, defrag_thold);
    FIELD(llama_context_params, cb_eval);
    FIELD(llama_context_params, cb_eval_user_data);
    FIELD(llama_context_params, type_k);
    FIELD(llama_context_params, type_v);
    FIELD(llama_context_params, abort_callback);
    FIELD(llama_context_params, abort_callback_data);
    FIELD(llama_context_params, embeddings);
    FIELD(llama_context_params, offload_kqv);
    FIELD(llama_context_params, no_perf);
    FIELD(llama_context_params, op_offload);
    FIELD(llama_context_params, swa_full);
    FIELD(llama_context_params, kv_unified);
    FIELD(llama_context_params, samplers);
    FIELD(llama_context_params, n_samplers);
    FIELD(llama_context_params, ctx_other);

    SIZE(llama_batch);
    FIELD(llama_batch, n_tokens);
    FIELD(llama_batch, token);
    FIELD(llama_batch, embd);
    FIELD(llama_batch, pos);
    FIELD(llama_batch, n_seq_id);
    FIELD(llama_batch, seq_id);
    FIELD(llama_batch, logits);

    SIZE(llama_model_quantize_params);
    FIELD(llama_model_quantize_params, nthread);
    FIELD(llama_model_quantize_params, ftype);
    FIELD(llama_model_quantize_params, output_tensor_type);
    FIELD(llama_model_quantize_params, token_embedding_type);
    FIELD(llama_model_quantize_params, allow_requantize);
    FIELD(llama_model_quantize_params, quantize_output_tensor);
    FIELD(llama_model_quantize_params, only_copy);
    FIELD(llama_model_quantize_params, pure);
    FIELD(llama_model_quantize_params, keep_split);
    FIELD(llama_model_quantize_params, dry_run);
    FIELD(llama_model_quantize_params, imatrix);
    FIELD(llama_model_quantize_params, kv_overrides);
    FIELD(llama_model_quantize_params, tt_overrides);
    FIELD(llama_model_quantize_params, prune_layers);
    FIELD(llama_model_quantize_params, max_buf_size);
    return 0;
}
