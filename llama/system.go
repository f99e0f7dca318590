package llama

import "github.com/embellama/embellama/loader"

var (
	// void llama_backend_init(void);
	llamaBackendInit func()
	// const char * llama_print_system_info(void);
	llamaPrintSystemInfo func() string
	// void llama_log_set(ggml_log_callback log_callback, void * user_data);
	llamaLogSet func(callback, userData uintptr)
)

var systemFuncs = []loader.Binding{
	{Fn: &llamaBackendInit, Name: "llama_backend_init"},
	{Fn: &llamaPrintSystemInfo, Name: "llama_print_system_info"},
	{Fn: &llamaLogSet, Name: "llama_log_set"},
}
