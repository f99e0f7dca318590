#!/usr/bin/env bash
# bench-formats.sh BASE [ROUNDS]
#
# Measures one model shape in several weight formats with the same library:
# BASE-f16.gguf (such as .cache/fixtures/minilm-l6-f16.gguf, from `make
# bench-fixtures`) is converted with `embellama quantize` into BASE-<type>.gguf
# for each type (kept when present), then
#   - the file size,
#   - the smallest and mean cosine of each format's vectors against the F32
#     file's (F32 is F16 widened, so exact) over the reference texts of
#     ../shared/models/reference/bert-mean.json,
#   - texts/s and peak RSS of `embellama bench`, in ROUNDS alternating rounds
#     (f32, f16, ..., f32, f16, ...), each round a fresh process; medians.
# Environment: LIB (default lib/<os>-<arch>-cpu, the prebuilt library),
# TYPES (default "f32 f16 bf16 q8_0 q4_k"), CORPUS (short or long), N (texts
# per round), THREADS (default: physical cores), REQUEST (texts per call).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: bench-formats.sh BASE [ROUNDS]   (BASE-f16.gguf must exist)}
rounds=${2:-3}
goos=$(go env GOOS); goarch=$(go env GOARCH)
lib=${LIB:-$root/lib/$goos-$goarch-cpu}
read -r -a types <<<"${TYPES:-f32 f16 bf16 q8_0 q4_k}"
corpus=${CORPUS:-short}
n=${N:-300}
request=${REQUEST:-64}
threads=${THREADS:-$(lscpu -p=core | grep -v '^#' | sort -u | wc -l)}
bin="$root/bin/embellama"
[ -x "$bin" ] || (cd "$root" && CGO_ENABLED=0 go build -o "$bin" ./cmd/embellama)
src="$base-f16.gguf"
[ -f "$src" ] || { echo "bench-formats: $src is missing (make bench-fixtures)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for t in "${types[@]}"; do
	f="$base-$t.gguf"
	[ -f "$f" ] || "$bin" quantize -lib "$lib" -type "$t" "$src" "$f" >&2
done

python3 -c 'import json,sys; [print(r["text"].replace("\n"," ")) for r in json.load(open(sys.argv[1]))["results"]]' \
	"$root/../shared/models/reference/bert-mean.json" >"$tmp/texts.txt"
for t in "${types[@]}"; do
	"$bin" embed -lib "$lib" -model "$base-$t.gguf" -threads "$threads" -file "$tmp/texts.txt" >"$tmp/$t.jsonl"
done

echo "library: $lib; corpus: $corpus, $n texts per round, $request per call, $threads threads, $rounds rounds"
for _ in $(seq 1 "$rounds"); do
	for t in "${types[@]}"; do
		"$bin" bench -lib "$lib" -model "$base-$t.gguf" -corpus "$corpus" -n "$n" -request "$request" \
			-threads "$threads" -latency 0 2>/dev/null | grep 'embellama (library)' | sed "s/^/$t /" >>"$tmp/bench.txt"
	done
done

python3 - "$tmp" "$base" "${types[@]}" <<'EOF'
import json, math, os, statistics, sys
tmp, base, types = sys.argv[1], sys.argv[2], sys.argv[3:]
def vecs(t):
    return [json.loads(l) for l in open(f"{tmp}/{t}.jsonl")]
def cos(a, b):
    return sum(x*y for x, y in zip(a, b)) / math.sqrt(sum(x*x for x in a) * sum(y*y for y in b))
ref = vecs("f32") if "f32" in types else vecs(types[0])
rates, peaks = {t: [] for t in types}, {t: [] for t in types}
for line in open(f"{tmp}/bench.txt"):
    f = line.split()
    # t embellama (library) texts/s tokens/s p50 p95 p99 conc RSS-number RSS-unit
    rates[f[0]].append(float(f[3]))
    peaks[f[0]].append(f[-2] + " " + f[-1])
print("| format | file size | texts/s (median) | per round | vs F16 | peak RSS | cosine vs F32: min | mean |")
print("|---|---|---|---|---|---|---|---|")
f16 = statistics.median(rates["f16"]) if rates.get("f16") else None
for t in types:
    cs = [cos(a, b) for a, b in zip(ref, vecs(t))]
    m = statistics.median(rates[t])
    rel = f"{m / f16:.2f}x" if f16 else "-"
    size = os.path.getsize(f"{base}-{t}.gguf") / 2**20
    print(f"| {t} | {size:.1f} MiB | {m:.1f} | {' '.join(f'{r:.1f}' for r in rates[t])} | {rel} | {peaks[t][-1]} | {min(cs):.6f} | {statistics.mean(cs):.6f} |")
EOF
