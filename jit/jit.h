/* jit.h: compiling C in memory with libtcc. libtcc is not reentrant, so
 * every use is serialized; modules are independent once built. */
#ifndef AD_JIT_H
#define AD_JIT_H

#include <stddef.h>

typedef struct JitModule JitModule;

/* NULL on failure, with a message in err and an adrt.h error code in *code:
 * AD_E_INTERNAL when libtcc rejects the emitted C (a bug in ad-compile),
 * AD_E_IO when the system compiler of AD_JIT=cc fails or its cache cannot
 * be written, AD_E_NOMEM. */
JitModule *jit_compile(const char *csrc, char *err, size_t errlen, int *code);
void *jit_symbol(JitModule *m, const char *name);
void jit_free(JitModule *m);

#endif
