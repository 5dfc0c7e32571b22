/* names.h: the C names of one emitted function, in nested scopes. A kernel
 * (loop nest) takes names for its loop variables and locals and releases
 * them when it ends, so the next kernel can use `i` again. Lookups and
 * fresh names are hash-table operations, so a function of hundreds of
 * thousands of statements is named in linear time. */
#ifndef AD_NAMES_H
#define AD_NAMES_H

#include "util.h"

typedef struct Names Names;

Names *names_new(Arena *A);
bool names_has(const Names *n, const char *s);
void names_add(Names *n, const char *s);
/* base itself if free, else the first free base_2, base_3, ...; taken. */
const char *names_fresh(Names *n, const char *base);
/* Everything taken after a mark is released by names_release(mark). */
int names_mark(const Names *n);
void names_release(Names *n, int mark);

#endif
