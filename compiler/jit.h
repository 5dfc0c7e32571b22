/* jit.h: compiling C in memory with libtcc. libtcc is not reentrant, so
 * every use is serialized; modules are independent once built. */
#ifndef AD_JIT_H
#define AD_JIT_H

#include <stddef.h>

typedef struct JitModule JitModule;

/* NULL on failure, with the compiler's messages in err. */
JitModule *jit_compile(const char *csrc, char *err, size_t errlen);
void *jit_symbol(JitModule *m, const char *name);
void jit_free(JitModule *m);

#endif
