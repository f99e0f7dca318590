package llama

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/embellama/embellama/internal/testenv"
	"github.com/embellama/embellama/platform"
)

// field describes a C field as the probe prints it.
type field struct {
	name         string
	offset, size uintptr
}

func f[T any](name string, offset uintptr, v T) field {
	return field{name, offset, unsafe.Sizeof(v)}
}

// goLayout lists the Go mirrors in the probe's format and order. Each Go
// field is paired with its C name here, by hand: that pairing is what the
// test checks.
func goLayout() string {
	var mp ModelParams
	var cp ContextParams
	var b cBatch
	var qp QuantizeParams
	type layout struct {
		name   string
		size   uintptr
		fields []field
	}
	all := []layout{
		{"llama_model_params", unsafe.Sizeof(mp), []field{
			f("devices", unsafe.Offsetof(mp.Devices), mp.Devices),
			f("tensor_buft_overrides", unsafe.Offsetof(mp.TensorBuftOverrides), mp.TensorBuftOverrides),
			f("n_gpu_layers", unsafe.Offsetof(mp.NGPULayers), mp.NGPULayers),
			f("split_mode", unsafe.Offsetof(mp.SplitMode), mp.SplitMode),
			f("load_mode", unsafe.Offsetof(mp.LoadMode), mp.LoadMode),
			f("lazy_mode", unsafe.Offsetof(mp.LazyMode), mp.LazyMode),
			f("main_gpu", unsafe.Offsetof(mp.MainGPU), mp.MainGPU),
			f("tensor_split", unsafe.Offsetof(mp.TensorSplit), mp.TensorSplit),
			f("progress_callback", unsafe.Offsetof(mp.ProgressCallback), mp.ProgressCallback),
			f("progress_callback_user_data", unsafe.Offsetof(mp.ProgressCallbackUserData), mp.ProgressCallbackUserData),
			f("kv_overrides", unsafe.Offsetof(mp.KVOverrides), mp.KVOverrides),
			f("vocab_only", unsafe.Offsetof(mp.VocabOnly), mp.VocabOnly),
			f("check_tensors", unsafe.Offsetof(mp.CheckTensors), mp.CheckTensors),
			f("use_extra_bufts", unsafe.Offsetof(mp.UseExtraBufts), mp.UseExtraBufts),
			f("no_host", unsafe.Offsetof(mp.NoHost), mp.NoHost),
			f("no_alloc", unsafe.Offsetof(mp.NoAlloc), mp.NoAlloc),
			f("load_mtp", unsafe.Offsetof(mp.LoadMTP), mp.LoadMTP),
		}},
		{"llama_context_params", unsafe.Sizeof(cp), []field{
			f("n_ctx", unsafe.Offsetof(cp.NCtx), cp.NCtx),
			f("n_batch", unsafe.Offsetof(cp.NBatch), cp.NBatch),
			f("n_ubatch", unsafe.Offsetof(cp.NUbatch), cp.NUbatch),
			f("n_seq_max", unsafe.Offsetof(cp.NSeqMax), cp.NSeqMax),
			f("n_rs_seq", unsafe.Offsetof(cp.NRsSeq), cp.NRsSeq),
			f("n_outputs_max", unsafe.Offsetof(cp.NOutputsMax), cp.NOutputsMax),
			f("n_outputs_max_per_seq", unsafe.Offsetof(cp.NOutputsMaxPerSeq), cp.NOutputsMaxPerSeq),
			f("n_threads", unsafe.Offsetof(cp.NThreads), cp.NThreads),
			f("n_threads_batch", unsafe.Offsetof(cp.NThreadsBatch), cp.NThreadsBatch),
			f("ctx_type", unsafe.Offsetof(cp.CtxType), cp.CtxType),
			f("rope_scaling_type", unsafe.Offsetof(cp.RopeScalingType), cp.RopeScalingType),
			f("pooling_type", unsafe.Offsetof(cp.PoolingType), cp.PoolingType),
			f("attention_type", unsafe.Offsetof(cp.AttentionType), cp.AttentionType),
			f("flash_attn_type", unsafe.Offsetof(cp.FlashAttnType), cp.FlashAttnType),
			f("rope_freq_base", unsafe.Offsetof(cp.RopeFreqBase), cp.RopeFreqBase),
			f("rope_freq_scale", unsafe.Offsetof(cp.RopeFreqScale), cp.RopeFreqScale),
			f("yarn_ext_factor", unsafe.Offsetof(cp.YarnExtFactor), cp.YarnExtFactor),
			f("yarn_attn_factor", unsafe.Offsetof(cp.YarnAttnFactor), cp.YarnAttnFactor),
			f("yarn_beta_fast", unsafe.Offsetof(cp.YarnBetaFast), cp.YarnBetaFast),
			f("yarn_beta_slow", unsafe.Offsetof(cp.YarnBetaSlow), cp.YarnBetaSlow),
			f("yarn_orig_ctx", unsafe.Offsetof(cp.YarnOrigCtx), cp.YarnOrigCtx),
			f("defrag_thold", unsafe.Offsetof(cp.DefragThold), cp.DefragThold),
			f("cb_eval", unsafe.Offsetof(cp.CbEval), cp.CbEval),
			f("cb_eval_user_data", unsafe.Offsetof(cp.CbEvalUserData), cp.CbEvalUserData),
			f("type_k", unsafe.Offsetof(cp.TypeK), cp.TypeK),
			f("type_v", unsafe.Offsetof(cp.TypeV), cp.TypeV),
			f("abort_callback", unsafe.Offsetof(cp.AbortCallback), cp.AbortCallback),
			f("abort_callback_data", unsafe.Offsetof(cp.AbortCallbackData), cp.AbortCallbackData),
			f("embeddings", unsafe.Offsetof(cp.Embeddings), cp.Embeddings),
			f("offload_kqv", unsafe.Offsetof(cp.OffloadKQV), cp.OffloadKQV),
			f("no_perf", unsafe.Offsetof(cp.NoPerf), cp.NoPerf),
			f("op_offload", unsafe.Offsetof(cp.OpOffload), cp.OpOffload),
			f("swa_full", unsafe.Offsetof(cp.SwaFull), cp.SwaFull),
			f("kv_unified", unsafe.Offsetof(cp.KVUnified), cp.KVUnified),
			f("samplers", unsafe.Offsetof(cp.Samplers), cp.Samplers),
			f("n_samplers", unsafe.Offsetof(cp.NSamplers), cp.NSamplers),
			f("ctx_other", unsafe.Offsetof(cp.CtxOther), cp.CtxOther),
		}},
		{"llama_batch", unsafe.Sizeof(b), []field{
			f("n_tokens", unsafe.Offsetof(b.nTokens), b.nTokens),
			f("token", unsafe.Offsetof(b.token), b.token),
			f("embd", unsafe.Offsetof(b.embd), b.embd),
			f("pos", unsafe.Offsetof(b.pos), b.pos),
			f("n_seq_id", unsafe.Offsetof(b.nSeqID), b.nSeqID),
			f("seq_id", unsafe.Offsetof(b.seqID), b.seqID),
			f("logits", unsafe.Offsetof(b.logits), b.logits),
		}},
		{"llama_model_quantize_params", unsafe.Sizeof(qp), []field{
			f("nthread", unsafe.Offsetof(qp.NThread), qp.NThread),
			f("ftype", unsafe.Offsetof(qp.FType), qp.FType),
			f("output_tensor_type", unsafe.Offsetof(qp.OutputTensorType), qp.OutputTensorType),
			f("token_embedding_type", unsafe.Offsetof(qp.TokenEmbeddingType), qp.TokenEmbeddingType),
			f("allow_requantize", unsafe.Offsetof(qp.AllowRequantize), qp.AllowRequantize),
			f("quantize_output_tensor", unsafe.Offsetof(qp.QuantizeOutputTensor), qp.QuantizeOutputTensor),
			f("only_copy", unsafe.Offsetof(qp.OnlyCopy), qp.OnlyCopy),
			f("pure", unsafe.Offsetof(qp.Pure), qp.Pure),
			f("keep_split", unsafe.Offsetof(qp.KeepSplit), qp.KeepSplit),
			f("dry_run", unsafe.Offsetof(qp.DryRun), qp.DryRun),
			f("imatrix", unsafe.Offsetof(qp.Imatrix), qp.Imatrix),
			f("kv_overrides", unsafe.Offsetof(qp.KVOverrides), qp.KVOverrides),
			f("tt_overrides", unsafe.Offsetof(qp.TTOverrides), qp.TTOverrides),
			f("prune_layers", unsafe.Offsetof(qp.PruneLayers), qp.PruneLayers),
			f("max_buf_size", unsafe.Offsetof(qp.MaxBufSize), qp.MaxBufSize),
		}},
	}
	var sb strings.Builder
	for _, l := range all {
		fmt.Fprintf(&sb, "%s size %d\n", l.name, l.size)
		for _, fl := range l.fields {
			fmt.Fprintf(&sb, "%s.%s %d %d\n", l.name, fl.name, fl.offset, fl.size)
		}
	}
	return sb.String()
}

// golden is the probe's output for the pinned headers on 64-bit targets,
// committed so that the Go side is checked even where no compiler or
// headers are at hand.
func golden(t *testing.T) string {
	b, err := os.ReadFile(filepath.Join("testdata", "layout.golden"))
	require.NoError(t, err)
	return string(b)
}

// layoutDiff returns the lines where got and want differ.
func layoutDiff(want, got string) []string {
	w, g := strings.Split(strings.TrimSpace(want), "\n"), strings.Split(strings.TrimSpace(got), "\n")
	var diff []string
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			diff = append(diff, fmt.Sprintf("C %q, Go %q", a, b))
		}
	}
	return diff
}

func TestLayoutGolden(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the golden layout is for 64-bit targets")
	}
	assert.Empty(t, layoutDiff(golden(t), goLayout()), "Go mirrors differ from the pinned C layout")
}

// sourceDir returns where `make headers` checks out the pinned llama.cpp
// source of src: .cache/llama.cpp for the release of LLAMA_CPP_VERSION,
// .cache/llama.cpp-<tag> for the others.
func sourceDir(t *testing.T, src platform.Source) string {
	dir := filepath.Join(testenv.RepoRoot(t), ".cache", "llama.cpp")
	if !versionMatches(src.LlamaVersion, PinnedVersion) {
		dir += "-" + src.Tag
	}
	if _, err := os.Stat(filepath.Join(dir, "include", "llama.h")); err != nil {
		testenv.Missing(t, "llama.cpp %s headers (run `make headers`): %v", src.Tag, err)
	}
	return dir
}

// probe compiles testdata/layout_probe.c against the headers of the
// llama.cpp source in dir and returns what it prints.
func probe(t *testing.T, dir string) string {
	t.Helper()
	cc := testenv.CC(t)
	bin := filepath.Join(t.TempDir(), "probe")
	cmd := exec.Command(cc, "-o", bin, filepath.Join("testdata", "layout_probe.c"),
		"-I", filepath.Join(dir, "include"), "-I", filepath.Join(dir, "ggml", "include"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "compiling the probe: %s", out)
	out, err = exec.Command(bin).Output()
	require.NoError(t, err)
	return string(out)
}

// TestLayoutProbe compiles testdata/layout_probe.c against the headers of
// every pinned llama.cpp release (the Linux packages' and the macOS and
// Windows packages'; make headers checks them out under .cache/) and
// checks that the Go mirrors, and the golden table, are what the C
// compiler says for each: one set of mirrors serves every platform only
// if the releases agree.
func TestLayoutProbe(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the probe is built on Unix hosts")
	}
	srcs := platform.Sources()
	require.GreaterOrEqual(t, len(srcs), 2, "the Linux release and the macOS/Windows release")
	for _, src := range srcs {
		t.Run(src.Tag, func(t *testing.T) {
			out := probe(t, sourceDir(t, src))
			assert.Empty(t, layoutDiff(out, goLayout()), "Go mirrors differ from the C compiler's layout of llama.cpp %s", src.Tag)
			assert.Empty(t, layoutDiff(out, golden(t)), "testdata/layout.golden is stale for llama.cpp %s", src.Tag)
		})
	}
}

// TestLayoutProbeDetectsPatchedHeader runs the probe on a copy of the
// pinned headers with one field inserted into llama_context_params, as a
// release that changed the struct would: the comparison must report it.
func TestLayoutProbeDetectsPatchedHeader(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the probe is built on Unix hosts")
	}
	src := sourceDir(t, platform.Sources()[0])
	patched := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(patched, "ggml", "include"), os.DirFS(filepath.Join(src, "ggml", "include"))))
	h, err := os.ReadFile(filepath.Join(src, "include", "llama.h"))
	require.NoError(t, err)
	const anchor = "        uint32_t n_ctx;"
	require.Contains(t, string(h), anchor)
	h = []byte(strings.Replace(string(h), anchor, "        uint32_t n_inserted;\n"+anchor, 1))
	require.NoError(t, os.MkdirAll(filepath.Join(patched, "include"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(patched, "include", "llama.h"), h, 0o644))

	diff := layoutDiff(probe(t, patched), goLayout())
	assert.NotEmpty(t, diff, "an inserted field must be reported")
	t.Logf("patched header: %d lines differ, first: %s", len(diff), diff[0])
	assert.Contains(t, strings.Join(diff, "\n"), "llama_context_params.n_ctx", "the first moved field is named")
}

// TestLayoutDiffDetectsMoves checks that the comparison itself can fail: a
// field moved by four bytes or a struct grown by eight must be reported.
func TestLayoutDiffDetectsMoves(t *testing.T) {
	good := goLayout()
	moved := strings.Replace(good, "llama_context_params.embeddings 128 1", "llama_context_params.embeddings 132 1", 1)
	require.NotEqual(t, good, moved)
	assert.Len(t, layoutDiff(moved, good), 1)
	grown := strings.Replace(good, "llama_batch size 56", "llama_batch size 64", 1)
	require.NotEqual(t, good, grown)
	assert.Len(t, layoutDiff(grown, good), 1)
}
