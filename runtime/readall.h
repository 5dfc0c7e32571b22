/* readall.h: reading all of a stream, for the runtime's file readers and the
 * command line (not installed). */
#ifndef AD_READALL_H
#define AD_READALL_H

#include <stddef.h>
#include <stdio.h>

/* All of f, NUL-terminated, in *out (malloc'ed; *len without the NUL).
 * Returns 0; AD_E_NOMEM; or AD_E_IO with *sys set to EFBIG when f holds more
 * than max bytes, else to the read error's errno. The caller words the
 * message, naming what f is. */
int ad_read_stream(FILE *f, size_t max, char **out, size_t *len, int *sys);

#endif
