package llama

import (
	"errors"

	"github.com/embellama/embellama/loader"
)

// Optional bindings: functions a library older than the pinned release
// may lack. [Library.bind] binds each one that is present and records the
// others ([Library.MissingOptional]); their wrappers then report false
// instead of failing the load.
var (
	// uint32_t llama_model_n_cls_out(const struct llama_model * model);
	llamaModelNClsOut func(model uintptr) uint32
	// const char * llama_model_cls_label(const struct llama_model * model, uint32_t i);
	llamaModelClsLabel func(model uintptr, i uint32) string
)

var optionalFuncs = []loader.Binding{
	{Fn: &llamaModelNClsOut, Name: "llama_model_n_cls_out"},
	{Fn: &llamaModelClsLabel, Name: "llama_model_cls_label"},
}

// bindOptional binds each function of table that lib exports, one at a
// time, and returns the names of those it lacks.
func bindOptional(lib *loader.Library, table []loader.Binding) ([]string, error) {
	var missing []string
	for _, b := range table {
		err := lib.Bind([]loader.Binding{b})
		var me *loader.MissingSymbolsError
		switch {
		case errors.As(err, &me):
			missing = append(missing, b.Name)
		case err != nil:
			return missing, err
		}
	}
	return missing, nil
}

// MissingOptional returns the optional functions (such as
// llama_model_n_cls_out) the library does not export; the features that
// use them report themselves unavailable instead.
func (l *Library) MissingOptional() []string { return append([]string(nil), l.missingOptional...) }

// ClassOutputs returns llama_model_n_cls_out: the number of outputs of a
// rank-pooled model's classification head (1 for a reranker, one per
// label for a sequence classifier). ok is false when the library lacks
// the function or the model is closed.
func (m *Model) ClassOutputs() (n int, ok bool) {
	if llamaModelNClsOut == nil {
		return 0, false
	}
	p, done, err := m.handle()
	if err != nil {
		return 0, false
	}
	defer done()
	return int(llamaModelNClsOut(p)), true
}

// ClassLabel returns llama_model_cls_label(i): the label of output i, read
// from {arch}.classifier.output_labels. ok is false when the model has no
// label for i (llama.cpp returns NULL), the library lacks the function,
// or the model is closed. i is checked against [Model.ClassOutputs] first.
func (m *Model) ClassLabel(i int) (label string, ok bool) {
	n, ok := m.ClassOutputs()
	if !ok || llamaModelClsLabel == nil || i < 0 || i >= n {
		return "", false
	}
	p, done, err := m.handle()
	if err != nil {
		return "", false
	}
	defer done()
	s := llamaModelClsLabel(p, uint32(i))
	return s, s != ""
}
