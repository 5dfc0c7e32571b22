/* lower.h: type checking and lowering from the syntax tree to SSA IR.
 *
 * One walk over each function both checks it (names, dtypes, shapes, every
 * builtin's rules) and builds its IR; `grad` and `backward` are expanded on
 * the spot by the adjoint pass, over the IR built so far, so what a gradient
 * depends on is decided on the program as written. Calls between functions
 * are inlined. Errors are collected; lowering goes on after each one so a
 * file's errors are reported together. */
#ifndef AD_LOWER_H
#define AD_LOWER_H

#include "ir.h"

enum { LOWER_MAX_INSTS = 400000, LOWER_MAX_INLINE = 64 };

typedef struct Module {
	Func **funcs;
	int nfuncs;
} Module;

/* Lower every function of p; returns NULL (with diagnostics in d) if any has
 * an error. With `promote`, every f32 is taken as f64 (gradient checks
 * run in f64 whatever the program's dtypes). */
Module *lower_program(Arena *A, Diags *d, DimCtx *dc, SrcFile *src, const Program *p, bool promote);

/* Is `name` a builtin function of the language? */
bool lower_is_builtin(const char *name);

#endif
