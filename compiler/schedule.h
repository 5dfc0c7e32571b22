/* schedule.h: where each IR value lives in the emitted C, and which buffers
 * share memory. Two passes over optimized IR, run by the emitter:
 *   sched_fuse  (fuse.c)  decides which values are inlined into the loops of
 *                         their users (fusion) and which get storage;
 *   sched_reuse (reuse.c) computes liveness over the resulting kernels and
 *                         lets a scratch buffer take the memory of one that
 *                         nothing reads any more.
 * `ad-compile --emit=schedule` and `--emit=memory` print their decisions. */
#ifndef AD_SCHEDULE_H
#define AD_SCHEDULE_H

#include "ir.h"

/* Where a value lives: inlined into loops, a parameter, a result buffer, a
 * scratch buffer in caller-provided work memory, a local scalar, a static
 * array, another value's buffer seen with another shape (a reshape:
 * row-major order is kept), or nowhere: a control-flow op (loop, cond) is
 * a statement whose results live where its extracts do. */
enum { M_INLINE, M_PARAM, M_RESULT, M_SCRATCH, M_LOCAL, M_STATIC, M_ALIAS, M_CTRL };

typedef struct Schedule {
	int n;            /* number of values */
	int *mat;         /* M_* per value */
	int *uses;        /* instructions reading each value */
	int *result_of;   /* value -> index of the result whose buffer holds it, or -1 */
	int *last;        /* sched_reuse: last kernel reading the value's buffer (n: the
	                   * final copies to results), or -1 */
	int *reuse;       /* sched_reuse: for M_SCRATCH, the earlier scratch value whose
	                   * memory it takes over, or -1 for fresh memory */
	int *carry_param; /* a loop body's: for each result, the parameter it
	                   * carries, or -1 (NULL: none, a cond's body) */
	bool *inplace;    /* sched_reuse: a scatter that writes into the buffer of its
	                   * operand 0 (sched_base), which nothing reads after it, so
	                   * that the operand is not copied: the scratch buffer it
	                   * takes over (reuse), or a loop's carry (sched_carry_in_place) */
} Schedule;

/* Fusion, into f->sched and each body's. `optional` means the buffers of
 * results [0, nullable_to) may be NULL (VJP entries), so no value another
 * instruction reads may live in one; later results (the saved values of a
 * forward pass) always exist. Bodies are scheduled as functions of their
 * own whose results always exist. */
Schedule *sched_fuse(Func *f, bool optional, int nullable_to);
/* Liveness-based buffer reuse; fills f->sched's last and reuse, and its
 * bodies'. */
void sched_reuse(Func *f);
/* --dump-after=fuse and reuse: each value's placement, without C names. */
void sched_print(Buf *b, const Func *f);
/* Is reshape r of a just r's axes with size-1 axes dropped or inserted? If
 * so, map[k] is the axis of a that r's axis k reads, or -1. */
bool sched_unit_reshape(const Inst *r, const Inst *a, int *map);
/* Is slice v of its operand consecutive whole rows (axis 0 with step 1,
 * every other axis whole), so that it is the operand's memory from a row on? */
bool sched_row_slice(const Func *f, int v);
/* The value whose buffer v lives in (through views). */
int sched_owner(const Schedule *s, const Func *f, int v);
/* The stored value whose memory v is, in row-major order (through
 * reshapes, stored as views or inlined), or -1 when v is computed where it
 * is read or is a view of rows inside another buffer. */
int sched_base(const Schedule *s, const Func *f, int v);
/* Does loop body b write the carry of its parameter `param`, its result
 * `result`, into the parameter's own buffer (one buffer, not two)? */
bool sched_carry_in_place(const Func *b, int result, int param);

#endif
