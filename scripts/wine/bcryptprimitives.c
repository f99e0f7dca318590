/* bcryptprimitives.dll for Wine 8.0 (Debian 12), which lacks it: the runtime
   of Go >= 1.24 loads it from system32 for ProcessPrng and exits with
   "fatal error: bcryptprimitives.dll not found" before main. This forwards
   to bcrypt's BCryptGenRandom, which Wine 8.0 has. Used only by
   `make test-wine`; newer Wine ships the DLL itself. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
