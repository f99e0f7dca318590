package llama

import "github.com/embellama/embellama/loader"

var (
	// void ggml_backend_load_all_from_path(const char * dir_path);
	ggmlBackendLoadAllFromPath func(dir string)
	// size_t ggml_backend_dev_count(void);
	ggmlBackendDevCount func() uintptr
	// ggml_backend_dev_t ggml_backend_dev_get(size_t index);
	ggmlBackendDevGet func(i uintptr) uintptr
	// const char * ggml_backend_dev_name(ggml_backend_dev_t device);
	ggmlBackendDevName func(dev uintptr) string
	// const char * ggml_backend_dev_description(ggml_backend_dev_t device);
	ggmlBackendDevDescription func(dev uintptr) string
	// enum ggml_backend_dev_type ggml_backend_dev_type(ggml_backend_dev_t device);
	ggmlBackendDevType func(dev uintptr) int32
	// void ggml_backend_dev_memory(ggml_backend_dev_t device, size_t * free, size_t * total);
	ggmlBackendDevMemory func(dev uintptr, free, total *uintptr)
	// size_t ggml_backend_reg_count(void);
	ggmlBackendRegCount func() uintptr
	// ggml_backend_reg_t ggml_backend_reg_get(size_t index);
	ggmlBackendRegGet func(i uintptr) uintptr
	// const char * ggml_backend_reg_name(ggml_backend_reg_t reg);
	ggmlBackendRegName func(reg uintptr) string
)

// ggmlTable lists the functions of ggml's backend registry, exported by
// the main ggml library (ggml-backend-reg.cpp).
func ggmlTable() []loader.Binding {
	return []loader.Binding{
		{Fn: &ggmlBackendLoadAllFromPath, Name: "ggml_backend_load_all_from_path"},
		{Fn: &ggmlBackendDevCount, Name: "ggml_backend_dev_count"},
		{Fn: &ggmlBackendDevGet, Name: "ggml_backend_dev_get"},
		{Fn: &ggmlBackendRegCount, Name: "ggml_backend_reg_count"},
		{Fn: &ggmlBackendRegGet, Name: "ggml_backend_reg_get"},
	}
}

// ggmlBaseTable lists the device and registry accessors, exported by
// ggml-base (ggml-backend.cpp). On Unix dlsym on the main ggml library
// finds them in its dependency too; Windows' GetProcAddress does not, so
// they are bound from ggml-base itself.
func ggmlBaseTable() []loader.Binding {
	return []loader.Binding{
		{Fn: &ggmlBackendDevName, Name: "ggml_backend_dev_name"},
		{Fn: &ggmlBackendDevDescription, Name: "ggml_backend_dev_description"},
		{Fn: &ggmlBackendDevType, Name: "ggml_backend_dev_type"},
		{Fn: &ggmlBackendDevMemory, Name: "ggml_backend_dev_memory"},
		{Fn: &ggmlBackendRegName, Name: "ggml_backend_reg_name"},
	}
}

// DeviceType is enum ggml_backend_dev_type.
type DeviceType int32

// Device types.
const (
	DeviceCPU   DeviceType = 0
	DeviceGPU   DeviceType = 1
	DeviceIGPU  DeviceType = 2
	DeviceAccel DeviceType = 3
	DeviceMeta  DeviceType = 4
)

// String returns the device type's name.
func (t DeviceType) String() string {
	return enumName([]string{"CPU", "GPU", "iGPU", "accelerator", "meta"}, t)
}

// enumName returns the name of a C enum's value v, names being those of
// 0, 1, ... in order, or "unknown".
func enumName[T ~int32](names []string, v T) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return "unknown"
}

// Device describes a ggml compute device.
type Device struct {
	Name        string
	Description string
	Type        DeviceType
	// MemoryFree and MemoryTotal are in bytes (0 when the backend does not
	// report them).
	MemoryFree, MemoryTotal uint64
}

// Devices lists the devices of every loaded ggml backend.
func (l *Library) Devices() []Device {
	n := ggmlBackendDevCount()
	devs := make([]Device, 0, n)
	for i := uintptr(0); i < n; i++ {
		d := ggmlBackendDevGet(i)
		if d == 0 {
			continue
		}
		var free, total uintptr
		ggmlBackendDevMemory(d, &free, &total)
		devs = append(devs, Device{
			Name:        ggmlBackendDevName(d),
			Description: ggmlBackendDevDescription(d),
			Type:        DeviceType(ggmlBackendDevType(d)),
			MemoryFree:  uint64(free),
			MemoryTotal: uint64(total),
		})
	}
	return devs
}

// Backends lists the names of the registered ggml backends, such as "CPU"
// or "Vulkan".
func (l *Library) Backends() []string {
	n := ggmlBackendRegCount()
	names := make([]string, 0, n)
	for i := uintptr(0); i < n; i++ {
		if r := ggmlBackendRegGet(i); r != 0 {
			names = append(names, ggmlBackendRegName(r))
		}
	}
	return names
}
