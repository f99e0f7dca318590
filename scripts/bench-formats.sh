#!/usr/bin/env bash
# bench-formats.sh BASE [ROUNDS]
#
# Measures one model shape in several weight formats, libraries, attention
# kernels and batch targets, in one alternating run: BASE-f16.gguf (such as
# .cache/fixtures/minilm-l6-f16.gguf, from `make bench-fixtures`; copy it
# somewhere writable first) is converted with `embellama quantize` into
# BASE-<type>.gguf for each type (kept when present), then for every
# variant (type x library x flash attention x batch target)
#   - the file size,
#   - the smallest and mean cosine of its vectors against those of the F32
#     file (F32 is F16 widened, so exact) with the first library, the first
#     flash-attention setting and the first batch target, over the reference
#     texts of ../shared/models/reference/bert-mean.json,
#   - texts/s and peak RSS of `embellama bench`, in ROUNDS alternating rounds
#     (every variant once per round, each a fresh process); medians.
# Environment:
#   TYPES   formats (default: every one `embellama quantize` writes, but q5_k/q6_k)
#   LIBS    libraries to compare, space-separated NAME=DIR pairs (default
#           prebuilt=lib/<os>-<arch>-cpu); QLIB quantizes (default: the first)
#   FLASH   -flash-attn values to compare (default "auto"; e.g. "off on")
#   BT      -batch-target values to compare (default: the engine's default)
#   CORPUS  short or long; N texts per round; REQUEST texts per call;
#   THREADS (default: physical cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench-formats.sh BASE [ROUNDS]   (BASE-f16.gguf must exist)}
rounds=${2:-3}
goos=$(go env GOOS); goarch=$(go env GOARCH)
read -r -a libspec <<<"${LIBS:-prebuilt=$root/lib/$goos-$goarch-cpu}"
libs=(); libnames=()
for s in "${libspec[@]}"; do libnames+=("${s%%=*}"); libs+=("${s#*=}"); done
qlib=${QLIB:-${libs[0]}}
read -r -a types <<<"${TYPES:-f32 f16 bf16 q8_0 q4_0 iq4_nl q4_k mix-f16-q8_0 mix-bf16-q8_0 mix-f16-q4_0 mix-bf16-q4_0}"
read -r -a flash <<<"${FLASH:-auto}"
read -r -a bts <<<"${BT:-0}"
corpus=${CORPUS:-short}
n=${N:-300}
request=${REQUEST:-64}
threads=${THREADS:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}
bin=${BIN:-$root/bin/embellama}
[ -x "$bin" ] || (cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./cmd/embellama)
src="$base-f16.gguf"
[ -f "$src" ] || { echo "bench-formats: $src is missing (make bench-fixtures)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in "${types[@]}"; do
	f="$base-$t.gguf"
	[ -f "$f" ] || "$bin" quantize -lib "$qlib" -type "$t" "$src" "$f" >&2
done
# The F32 reference, even when f32 is not measured.
[ -f "$base-f32.gguf" ] || "$bin" quantize -lib "$qlib" -type f32 "$src" "$base-f32.gguf" >&2

# A variant is "type lib# flash bt"; its label names what differs.
variants=()
for t in "${types[@]}"; do for l in "${!libs[@]}"; do for fa in "${flash[@]}"; do for bt in "${bts[@]}"; do
	variants+=("$t $l $fa $bt")
done; done; done; done
label() { # type lib# flash bt
	local s=$1
	[ "${#libs[@]}" -gt 1 ] && s+="@${libnames[$2]}"
	[ "${#flash[@]}" -gt 1 ] && s+=",fa=$3"
	[ "${#bts[@]}" -gt 1 ] && s+=",bt=$4"
	echo "$s"
}
flags() { # lib# flash bt
	echo -lib "${libs[$1]}" -threads "$threads" -flash-attn "$2"
	[ "$3" != 0 ] && echo -batch-target "$3"
	return 0
}

python3 -c 'import json,sys; [print(r["text"].replace("\n"," ")) for r in json.load(open(sys.argv[1]))["results"]]' \
	"$root/../shared/models/reference/bert-mean.json" >"$tmp/texts.txt"
# shellcheck disable=SC2046
"$bin" embed $(flags 0 "${flash[0]}" "${bts[0]}") -model "$base-f32.gguf" -file "$tmp/texts.txt" >"$tmp/ref.jsonl"
for v in "${variants[@]}"; do
	read -r t l fa bt <<<"$v"
	# shellcheck disable=SC2046
	"$bin" embed $(flags "$l" "$fa" "$bt") -model "$base-$t.gguf" -file "$tmp/texts.txt" >"$tmp/$(label $v).jsonl"
done

echo "libraries: ${libspec[*]}; corpus: $corpus, $n texts per round, $request per call, $threads threads, $rounds rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$rounds"); do
	for v in "${variants[@]}"; do
		read -r t l fa bt <<<"$v"
		# shellcheck disable=SC2046
		"$bin" bench $(flags "$l" "$fa" "$bt") -model "$base-$t.gguf" -corpus "$corpus" -n "$n" -request "$request" \
			-latency 0 2>/dev/null | grep 'embellama (library)' | sed "s|^|$(label $v) |" >>"$tmp/bench.txt"
	done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

labels=()
for v in "${variants[@]}"; do labels+=("$(label $v)"); done
python3 - "$tmp" "$base" "${labels[@]}" <<'PY'
import json, math, os, statistics, sys
tmp, base, labels = sys.argv[1], sys.argv[2], sys.argv[3:]
def vecs(name):
    return [json.loads(l) for l in open(f"{tmp}/{name}.jsonl")]
def cos(a, b):
    return sum(x*y for x, y in zip(a, b)) / math.sqrt(sum(x*x for x in a) * sum(y*y for y in b))
ref = vecs("ref")
rates, peaks = {l: [] for l in labels}, {l: [] for l in labels}
for line in open(f"{tmp}/bench.txt"):
    f = line.split()
    # label embellama (library) texts/s tokens/s p50 p95 p99 conc RSS-number RSS-unit
    rates[f[0]].append(float(f[3]))
    peaks[f[0]].append(f[-2] + " " + f[-1])
first = labels[0]
print(f"| variant | file size | texts/s (median) | per round | vs {first} | peak RSS | cosine vs F32: min | mean |")
print("|---|---|---|---|---|---|---|---|")
m0 = statistics.median(rates[first]) if rates[first] else None
for l in labels:
    cs = [cos(a, b) for a, b in zip(ref, vecs(l))]
    m = statistics.median(rates[l]) if rates[l] else float("nan")
    rel = f"{m / m0:.2f}x" if m0 else "-"
    t = l.split("@")[0].split(",")[0]
    size = os.path.getsize(f"{base}-{t}.gguf") / 2**20
    peak = peaks[l][-1] if peaks[l] else "-"
    print(f"| {l} | {size:.1f} MiB | {m:.1f} | {' '.join(f'{r:.1f}' for r in rates[l])} | {rel} | {peak} | {min(cs):.6f} | {statistics.mean(cs):.6f} |")
PY
