// Embedding throughput of node-llama-cpp on a file of texts, one per line,
// for scripts/bench-node.sh.
//
//   node bench.mjs MODEL FILE THREADS MODE
//
// MODE "seq" awaits one getEmbeddingFor call after another; "all" issues
// every call at once and awaits them together.
import fs from "node:fs";
import {getLlama} from "node-llama-cpp";

const [modelPath, file, threads, mode] = process.argv.slice(2);
const texts = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
const ctx = await model.createEmbeddingContext({contextSize: 512, batchSize: 512, threads: Number(threads)});
for (const t of texts.slice(0, 16)) await ctx.getEmbeddingFor(t);
const start = performance.now();
if (mode === "all") {
	await Promise.all(texts.map((t) => ctx.getEmbeddingFor(t)));
} else {
	for (const t of texts) await ctx.getEmbeddingFor(t);
}
const seconds = (performance.now() - start) / 1000;
console.log(`node-llama-cpp (${mode === "all" ? "all calls at once" : "one call after another"}): ${(texts.length / seconds).toFixed(1)} texts/s`);
await ctx.dispose();
await model.dispose();
await llama.dispose();
