package ortproto

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"unsafe"
)

// Embed returns one vector per text of ids (token ids with the special
// tokens, as the tokenizer gives them), in input order. Texts are run
// batch at a time, each batch padded to its longest text; with sorted,
// the texts are first ordered by length so that padding is minimal (what
// bench_ort.mjs --sorted does). Vectors are L2-normalized: a pooled
// output is taken as the graph gives it (the benchmark graphs normalize),
// token states are mean-pooled over the attention mask and normalized.
func (s *Session) Embed(ctx context.Context, ids [][]int32, batch int, sorted bool) ([][]float32, error) {
	if batch < 1 {
		return nil, fmt.Errorf("%w: batch %d", ErrInput, batch)
	}
	for i, t := range ids {
		if len(t) == 0 {
			return nil, fmt.Errorf("%w: text %d has no tokens", ErrInput, i)
		}
	}
	order := make([]int, len(ids))
	for i := range order {
		order[i] = i
	}
	if sorted {
		slices.SortStableFunc(order, func(a, b int) int { return len(ids[a]) - len(ids[b]) })
	}
	out := make([][]float32, len(ids))
	for lo := 0; lo < len(order); lo += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		idx := order[lo:min(lo+batch, len(order))]
		rows := make([][]int32, len(idx))
		for k, t := range idx {
			rows[k] = ids[t]
		}
		vecs, err := s.runBatch(rows)
		if err != nil {
			return nil, err
		}
		for k, t := range idx {
			out[t] = vecs[k]
		}
	}
	return out, nil
}

// runBatch runs one padded batch and returns its vectors.
func (s *Session) runBatch(rows [][]int32) ([][]float32, error) {
	b, n := len(rows), 0
	for _, r := range rows {
		n = max(n, len(r))
	}
	inputIDs := make([]int64, b*n)
	mask := make([]int64, b*n)
	types := make([]int64, b*n) // all segment 0; [PAD] is id 0
	for i, r := range rows {
		for j, id := range r {
			inputIDs[i*n+j] = int64(id)
			mask[i*n+j] = 1
		}
	}
	shape := []int64{int64(b), int64(n)}
	data := map[string][]int64{"input_ids": inputIDs, "attention_mask": mask, "token_type_ids": types}
	r := s.rt
	names := make([][]byte, len(s.inputs))
	namePtrs := make([]uintptr, len(s.inputs))
	values := make([]uintptr, len(s.inputs))
	defer func() {
		for _, v := range values {
			if v != 0 {
				r.release(fnReleaseValue, v)
			}
		}
	}()
	for i, name := range s.inputs {
		d := data[name]
		names[i] = cString(name)
		namePtrs[i] = ptr(&names[i][0])
		if err := r.call("CreateTensorWithDataAsOrtValue", fnCreateTensorWithDataAsOrtValue, r.mem,
			ptr(&d[0]), uintptr(len(d)*8), ptr(&shape[0]), uintptr(len(shape)), tensorInt64, ptr(&values[i])); err != nil {
			return nil, err
		}
	}
	outName := cString(s.outputs[0])
	outNamePtr := ptr(&outName[0])
	var outVal uintptr
	err := r.call("Run", fnRun, s.s, 0, ptr(&namePtrs[0]), ptr(&values[0]), uintptr(len(values)),
		ptr(&outNamePtr), 1, ptr(&outVal))
	runtime.KeepAlive(data)
	runtime.KeepAlive(names)
	runtime.KeepAlive(shape)
	runtime.KeepAlive(outName)
	if err != nil {
		return nil, err
	}
	defer r.release(fnReleaseValue, outVal)
	return s.readOutput(outVal, mask, b, n)
}

// readOutput copies the output tensor out of ONNX Runtime's memory and
// pools it when it holds token states.
func (s *Session) readOutput(v uintptr, mask []int64, b, n int) ([][]float32, error) {
	dims, err := s.rt.dims(v)
	if err != nil {
		return nil, err
	}
	var p uintptr
	if err := s.rt.call("GetTensorMutableData", fnGetTensorMutableData, v, ptr(&p)); err != nil {
		return nil, err
	}
	switch {
	case len(dims) == 2 && dims[0] == int64(b):
		h := int(dims[1])
		flat := unsafe.Slice((*float32)(cptr(p)), b*h)
		vecs := make([][]float32, b)
		for i := range vecs {
			vecs[i] = slices.Clone(flat[i*h : (i+1)*h])
		}
		return vecs, nil
	case len(dims) == 3 && dims[0] == int64(b) && dims[1] == int64(n):
		h := int(dims[2])
		flat := unsafe.Slice((*float32)(cptr(p)), b*n*h)
		return MeanPool(flat, mask, b, n, h), nil
	}
	return nil, fmt.Errorf("%w: output %q has shape %v for a batch of %d×%d", ErrModel, s.outputs[0], dims, b, n)
}

// dims returns an output tensor's shape.
func (r *Runtime) dims(v uintptr) ([]int64, error) {
	var info uintptr
	if err := r.call("GetTensorTypeAndShape", fnGetTensorTypeAndShape, v, ptr(&info)); err != nil {
		return nil, err
	}
	defer r.release(fnReleaseTensorTypeAndShapeInfo, info)
	var n uintptr
	if err := r.call("GetDimensionsCount", fnGetDimensionsCount, info, ptr(&n)); err != nil {
		return nil, err
	}
	if n == 0 || n > 8 {
		return nil, fmt.Errorf("%w: output of rank %d", ErrModel, n)
	}
	d := make([]int64, n)
	if err := r.call("GetDimensions", fnGetDimensions, info, ptr(&d[0]), n); err != nil {
		return nil, err
	}
	return d, nil
}
