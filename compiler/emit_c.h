/* emit_c.h: C99 from optimized IR (ad-compile -o, and the JIT's input). */
#ifndef AD_EMIT_C_H
#define AD_EMIT_C_H

#include "adjoint.h"
#include "lower.h"
#include "tangent.h"

typedef struct EmitOptions {
	const char *header_name; /* the .h the .c includes; NULL: self-contained */
	const char *prefix;      /* prepended to every function name */
	bool comments;           /* source statements as comments (default on) */
	Buf *memory_report;      /* if set: each function's scratch and saved memory (--emit=memory) */
	Buf *schedule_report;    /* if set: each function's loops and what they fuse (--emit=schedule) */
	unsigned entries;        /* AD_ENTRY_* bits (ad_meta.h) of a module (--entry); 0: all */
	bool threads;            /* kernels over large index spaces in parallel (--threads, OpenMP) */
} EmitOptions;

/* The C names chosen for one function (after mangling reserved names). */
typedef struct CNames {
	const char *func, *work, *work_size, *call;
	const char *meta; /* its ad_meta record (in a module) */
} CNames;

/* The entry points of one emitted function besides NAME_work and
 * NAME_work_size: NAME (which allocates), public NAME_work/NAME_work_size
 * (in the header), and the uniform NAME_call of run-time callers. */
enum { FE_PLAIN = 1, FE_WORK = 2, FE_CALL = 4 };

/* How one IR function becomes C. */
typedef struct FuncEmit {
	Func *f;           /* optimized */
	const char *cname; /* its C base name */
	const char *title; /* the first line of its documentation, or NULL */
	unsigned entries;  /* FE_* bits; without FE_WORK, NAME_work and NAME_work_size are static */
	int nullable_from; /* parameters [nullable_from, nullable_to) may be NULL (seeds: ones, */
	int nullable_to;   /* or tangents: zeros, with nullable_zeros); -1: none */
	bool optional;     /* results may be NULL: the work for them is skipped */
	/* The saved values of a forward/backward pair: the results (forward) or
	 * parameters (backward) from these indices on are not arguments of their
	 * own but lie in one `saved` buffer (emit_saved_layout); -1: none. */
	int saved_results, saved_params;
	bool nullable_zeros; /* a NULL parameter in the nullable range is zeros (a tangent), not ones */
} FuncEmit;

/* A function of the program with everything the runtime needs. */
typedef struct ModFunc {
	Func *f;         /* lowered: signature, nograd flags */
	Func *opt;       /* optimized */
	Func *vjp;       /* optimized vector-Jacobian function, or NULL */
	Func *jvp;       /* optimized Jacobian-vector function, or NULL */
	Func *fwd, *bwd; /* optimized forward/backward pair, or NULL */
	VjpInfo info;
	JvpInfo jinfo;
	int nsaved;
} ModFunc;

/* Emit the given functions only (no run-time entries): the JIT's --run. */
void emit_c(Buf *c, Buf *h, Func *const *funcs, int nfuncs, const EmitOptions *o, const char *srcname);
/* Emit a whole module: each function, its VJP, its JVP, its forward/backward pair
 * and its ad_meta record (ad-compile -o, the runtime API). */
void emit_module(Buf *c, Buf *h, const ModFunc *mf, int n, const EmitOptions *o, const char *srcname);
/* The C names of function i as emit_c chose them. */
CNames emit_c_names(Func *const *funcs, int nfuncs, int i, const EmitOptions *o, Arena *A);
/* The C base name of function idx among `names` (mangled as needed). */
const char *emit_c_base(const char *const *names, int n, int idx, const char *prefix, Arena *A);

#endif
