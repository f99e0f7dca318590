#!/usr/bin/env bash
# bench-ort.sh [short|long] [ROUNDS]
#
# ONNX Runtime against embellama on the same model shape and the same
# token ids, in ALTERNATING rounds (issue 32, items 4 and 5). Each round
# runs, in this order, one process each:
#   node-ort-fp32  onnxruntime-node, FP32 graph, batches sorted by length
#   node-ort-int8  onnxruntime-node, dynamic int8 graph, sorted
#   go-ort-fp32    the same FP32 graph through internal/ortproto (Go, purego, no cgo), sorted
#   go-ort-int8    the int8 graph through internal/ortproto, sorted
#   go-ort-states  the FP32 weights exported without pooling (token states),
#                  mean-pooled and normalized in Go, sorted
#   emb-f16        embellama bench, prebuilt library, the F16 GGUF fixture
#   emb-q8_0       embellama bench, prebuilt library, the Q8_0 GGUF fixture
#   emb-auto       embellama bench on the format `embellama quantize -type auto`
#                  picks on this machine from the F16 fixture (converted once,
#                  its report in ORT_DIR/<shape>-auto.txt), flash attention
#                  FA (default on: what the engine's auto chooses for heads
#                  32 values wide on the CPU; stated in the output)
# and prints each one's texts/s per round and the median over rounds.
#
# The ONNX graphs are a PyTorch BERT of the SHAPE (minilm: MiniLM-L6,
# 384 x 6 layers, mean pooling; bge-small: bge-small-en-v1.5, 384 x 12
# layers, CLS pooling; random weights, speed does not depend on values)
# from ../shared/bench/ort; the GGUF side is the fixture of the same shape
# (.cache/fixtures, or generated into ORT_DIR: genfixtures for F16,
# `embellama quantize -type q8_0` for Q8_0); the
# token ids are the benchmark corpus (internal/corpus, seed 1, the texts
# `embellama bench` embeds) tokenized by embellama's tokenizer on the
# MiniLM fixture (same WordPiece vocabulary, special tokens included).
#
# Environment: ORT_DIR (where the harness's outputs live: node_modules,
# ONNX files, token ids, binaries; default .cache/ort, never committed),
# HARNESS (default ../shared/bench/ort), N (texts; default 600 short, 60
# long), BATCH (texts per run/request; default 64 short, 8 long), THREADS
# (default 2), LIB (embellama's library dir, default lib/<os>-<arch>-cpu,
# the prebuilt one), ONLY (a space-separated subset of the runners above),
# SHAPE (minilm or bge-small; default minilm), FA (emb-auto's -flash-attn).
# Needs: python3-torch and python3-onnx (Debian), node and npm, the
# fixtures (make bench-fixtures) and the library (make lib).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-short}
rounds=${2:-5}
case $corpus in
short) n=${N:-600} batch=${BATCH:-64} ;;
long) n=${N:-60} batch=${BATCH:-8} ;;
*) echo "usage: bench-ort.sh [short|long] [ROUNDS]" >&2; exit 2 ;;
esac
[ "$rounds" -ge 1 ] 2>/dev/null || { echo "bench-ort: ROUNDS must be at least 1" >&2; exit 2; }
dir=${ORT_DIR:-$root/.cache/ort}
harness=$(cd "${HARNESS:-$root/../shared/bench/ort}" && pwd)
threads=${THREADS:-2}
goos=$(go env GOOS); goarch=$(go env GOARCH)
lib=$(cd "${LIB:-$root/lib/$goos-$goarch-cpu}" && pwd)
shape=${SHAPE:-minilm}
fa=${FA:-on}
case $shape in
minilm) pfx=minilm-l6 ;;
bge-small) pfx=bge-small ;;
*) echo "bench-ort: SHAPE must be minilm or bge-small" >&2; exit 2 ;;
esac
# The MiniLM fixture tokenizes the corpus for every shape (same WordPiece vocabulary).
vocab="$root/.cache/fixtures/minilm-l6-f16.gguf"
f16="$root/.cache/fixtures/$pfx-f16.gguf"
q8="$root/.cache/fixtures/$pfx-q8_0.gguf"
[ -f "$f16" ] || f16="$dir/$pfx-f16.gguf"
[ -f "$q8" ] || q8="$dir/$pfx-q8_0.gguf"
only=${ONLY:-node-ort-fp32 node-ort-int8 go-ort-fp32 go-ort-int8 go-ort-states emb-f16 emb-q8_0}
[ -f "$vocab" ] || { echo "bench-ort: run make bench-fixtures first" >&2; exit 1; }
mkdir -p "$dir/node"

# Setup, once: onnxruntime-node (its install script only downloads GPU
# providers, hence --ignore-scripts), the graphs, the token ids, the binaries.
if [ ! -d "$dir/node/node_modules/onnxruntime-node" ]; then
	(cd "$dir/node" && npm install --no-audit --no-fund --ignore-scripts onnxruntime-node@1.30.0 >/dev/null)
fi
ort=$(ls "$dir"/node/node_modules/onnxruntime-node/bin/napi-v*/"$goos"/x64/libonnxruntime.so.1 | head -1)
[ -f "$dir/$pfx.onnx" ] || /usr/bin/python3 "$harness/export_onnx.py" --shape "$shape" --out "$dir/$pfx.onnx"
[ -f "$dir/$pfx-int8.onnx" ] || /usr/bin/python3 "$harness/quantize_int8.py" "$dir/$pfx.onnx" "$dir/$pfx-int8.onnx"
# The same weights (export_onnx.py's seed) without the pooling head, for
# the Go pooling path: output last_hidden_state [batch, seq, hidden].
[ -f "$dir/$pfx-states.onnx" ] || /usr/bin/python3 - "$harness" "$dir/$pfx-states.onnx" "$shape" <<'PY'
import sys, torch
sys.path.insert(0, sys.argv[1])
import export_onnx as E
class States(E.Bert):
    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.shape[1], dtype=torch.long).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.typ(token_type_ids))
        add_mask = (1.0 - attention_mask.to(x.dtype))[:, None, None, :] * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, add_mask)
        return x
torch.manual_seed(0)
model = States(**E.SHAPES[sys.argv[3]]).eval()
with torch.no_grad():
    for p in model.parameters():
        if p.dim() > 1:
            p.normal_(0, 0.02)
ids = torch.randint(1000, 30000, (2, 16))
names = ["input_ids", "attention_mask", "token_type_ids"]
torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), sys.argv[2], opset_version=14,
                  do_constant_folding=True, input_names=names, output_names=["last_hidden_state"],
                  dynamic_axes={n: {0: "batch", 1: "seq"} for n in names + ["last_hidden_state"]})
PY
(cd "$root" && go build -o "$dir/ortbench" ./internal/ortproto/ortbench && go build -o "$dir/embellama" ./cmd/embellama)
[ -f "$f16" ] || (cd "$root" && go run ./internal/cmd/genfixtures -bench -out "$dir" "$pfx-f16" >/dev/null)
[ -f "$q8" ] || "$dir/embellama" quantize -lib "$lib" -type q8_0 "$f16" "$q8" >/dev/null
auto="$dir/$pfx-auto.gguf"
case " $only " in
*" emb-auto "*)
	[ -f "$auto" ] || "$dir/embellama" quantize -lib "$lib" -type auto "$f16" "$auto" >"$dir/$pfx-auto.txt" 2>&1 ||
		{ cat "$dir/$pfx-auto.txt" >&2; exit 1; }
	echo "  emb-auto: $(grep '^auto:' "$dir/$pfx-auto.txt" | head -1); -flash-attn $fa"
	;;
esac
tokens="$dir/tokens-$corpus-$n.json"
[ -f "$tokens" ] || "$dir/ortbench" ids -model "$vocab" -lib "$lib" -corpus "$corpus" -n "$n" >"$tokens"

echo "bench-ort: $shape shape, $n $corpus texts (seed 1), $batch per run, $threads threads, $rounds alternating rounds"
echo "  ONNX Runtime $ort; embellama library $lib"
echo "  tests: EMBELLAMA_ORT_LIB=$ort EMBELLAMA_ORT_MODEL=$dir/$pfx.onnx"
echo "         EMBELLAMA_ORT_STATES_MODEL=$dir/$pfx-states.onnx EMBELLAMA_ORT_NODE=$dir/node/node_modules go test -tags ortproto ./internal/ortproto"
echo "  load: $(uptime | sed 's/.*load average/load average/')"
echo "  cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); flags: $(grep -o -w 'avx2\|avx512f\|avx512_vnni\|avx512_bf16\|avx_vnni\|amx_int8\|f16c\|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"

node_run() { # model
	NODE_PATH="$dir/node/node_modules" node "$harness/bench_ort.mjs" --model "$1" --tokens "$tokens" \
		--n "$n" --batch "$batch" --sorted --warmup 1 --passes 1 --threads "$threads" |
		sed -n 's/.*"median_texts_per_s":\([0-9.]*\).*/\1/p'
}
go_run() { # model
	"$dir/ortbench" bench -ort "$ort" -model "$1" -tokens "$tokens" -n "$n" -batch "$batch" -sorted \
		-warmup 1 -passes 1 -threads "$threads" | sed -n 's/.*"median_texts_per_s":\([0-9.]*\).*/\1/p'
}
emb_run() { # gguf
	"$dir/embellama" bench -model "$1" -lib "$lib" -threads "$threads" -corpus "$corpus" -n "$n" \
		-request "$batch" -latency 0 "${@:2}" 2>>"$dir/bench-ort.log" | sed -n 's/^ *embellama (library) *\([0-9.]*\).*/\1/p'
}
measure() { # runner
	case $1 in
	node-ort-fp32) node_run "$dir/$pfx.onnx" ;;
	node-ort-int8) node_run "$dir/$pfx-int8.onnx" ;;
	go-ort-fp32) go_run "$dir/$pfx.onnx" ;;
	go-ort-int8) go_run "$dir/$pfx-int8.onnx" ;;
	go-ort-states) go_run "$dir/$pfx-states.onnx" ;;
	emb-f16) emb_run "$f16" ;;
	emb-q8_0) emb_run "$q8" ;;
	emb-auto) emb_run "$auto" -flash-attn "$fa" ;;
	esac
}

declare -A per
for round in $(seq "$rounds"); do
	line="round $round:"
	for r in $only; do
		v=$(measure "$r") || {
			echo "bench-ort: $r failed (embellama's messages: $dir/bench-ort.log)" >&2
			tail -3 "$dir/bench-ort.log" >&2 2>/dev/null
			exit 1
		}
		[ -n "$v" ] || { echo "bench-ort: $r printed no figure" >&2; exit 1; }
		per[$r]="${per[$r]:-} $v"
		line="$line $r $v"
	done
	echo "$line"
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
echo "medians (texts/s):"
for r in $only; do
	printf '  %-14s %8s   rounds:%s\n' "$r" "$(echo "${per[$r]}" | median)" "${per[$r]}"
done
echo "  load after: $(uptime | sed 's/.*load average/load average/')"
