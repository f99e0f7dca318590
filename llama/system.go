package llama

import "github.com/embellama/embellama/loader"

var (
	// void llama_backend_init(void);
	llamaBackendInit func()
	// const char * llama_print_system_info(void);
	llamaPrintSystemInfo func() string
	// size_t llama_max_parallel_sequences(void);
	llamaMaxParallelSequences func() uintptr
	// bool llama_supports_gpu_offload(void);
	llamaSupportsGPUOffload func() bool
	// void llama_log_set(ggml_log_callback log_callback, void * user_data);
	llamaLogSet func(callback, userData uintptr)
)

var systemFuncs = []loader.Binding{
	{Fn: &llamaBackendInit, Name: "llama_backend_init"},
	{Fn: &llamaPrintSystemInfo, Name: "llama_print_system_info"},
	{Fn: &llamaMaxParallelSequences, Name: "llama_max_parallel_sequences"},
	{Fn: &llamaSupportsGPUOffload, Name: "llama_supports_gpu_offload"},
	{Fn: &llamaLogSet, Name: "llama_log_set"},
}
