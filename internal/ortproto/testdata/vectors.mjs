// Prints onnxruntime-node's vectors for token ids, for TestMatchesNode.
// Reads {"ids": [[101, …, 102], …], "batch": B} on stdin; runs the texts
// in order, B at a time, each batch padded to its longest text, with the
// session options bench_ort.mjs uses (CPU, 2 intra-op threads, sequential,
// graph optimization "all"); prints {"vectors": [[…], …]}.
//   NODE_PATH=…/node_modules node vectors.mjs MODEL.onnx < ids.json
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(process.env.NODE_PATH ? process.env.NODE_PATH + '/' : import.meta.url);
const ort = require('onnxruntime-node');

const model = process.argv[2];
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const session = await ort.InferenceSession.create(model, {
  executionProviders: ['cpu'], intraOpNumThreads: 2, interOpNumThreads: 1,
  executionMode: 'sequential', graphOptimizationLevel: 'all',
});
const out = [];
for (let lo = 0; lo < input.ids.length; lo += input.batch) {
  const rows = input.ids.slice(lo, lo + input.batch);
  const len = Math.max(...rows.map((r) => r.length));
  const inp = new BigInt64Array(rows.length * len);
  const mask = new BigInt64Array(rows.length * len);
  rows.forEach((r, i) => r.forEach((id, j) => { inp[i * len + j] = BigInt(id); mask[i * len + j] = 1n; }));
  const feeds = {
    input_ids: new ort.Tensor('int64', inp, [rows.length, len]),
    attention_mask: new ort.Tensor('int64', mask, [rows.length, len]),
  };
  if (session.inputNames.includes('token_type_ids')) {
    feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(rows.length * len), [rows.length, len]);
  }
  const res = await session.run(feeds);
  const e = res[session.outputNames.includes('sentence_embedding') ? 'sentence_embedding' : session.outputNames[0]];
  if (e.dims.length !== 2) throw new Error(`output dims ${e.dims}: vectors.mjs reads a pooled output`);
  for (let i = 0; i < rows.length; i++) out.push(Array.from(e.data.slice(i * e.dims[1], (i + 1) * e.dims[1])));
}
console.log(JSON.stringify({ vectors: out }));
