/* tangent.c: forward mode, the tangent of every value between the inputs
 * and the outputs in one sweep in program order (see tangent.h).
 *
 * Elementwise ops have diagonal Jacobians, so their adjoint rules
 * (adjoint.c) seeded with an operand's tangent give that operand's
 * contribution to the result's tangent; the shape ops, the sum, gather and
 * scatter_add and the matrix product are linear (bilinear), and their
 * tangent is the op applied to the tangents; the other reductions (max,
 * min, prod, norm) weigh the operand's tangent by their adjoint of ones.
 *
 * A loop's tangent is a loop of its own that carries the tangents beside
 * the values (no tape: each iteration's tangent needs only that
 * iteration): its body is the loop's body followed by the body's own
 * tangent sweep. A conditional's is a conditional on the same condition
 * whose branches are followed by their tangent sweeps. */
#include "tangent.h"

#include "adjoint.h"

/* The tangent loop (or cond) of a loop or cond: for each of the op's
 * results, the index of its tangent among the new op's (-1: none). */
typedef struct LoopTangent {
	int loop;
	int *of; /* of[k]: the tangent loop's result holding result k's tangent */
} LoopTangent;

/* The tangent of v (-1: zero) from its operands' tangents dt, the active
 * operands act (not loops and conds: loop_tangent, cond_tangent). */
static int tangent_of(Func *f, int v, const bool *act, const int *dt)
{
	Inst in = *ir_inst(f, v);
	OpKind kind = op_info[in.op].kind;
	int t = -1;
	switch (kind) {
	case K_EW:
		/* a conversion is linear: the tangent converted (the adjoint rule
		 * would give the operand's dtype) */
		if (in.op == OP_cast)
			return act[0] && !dtype_is_int(in.dt) ? ir_cast(f, dt[in.args[0]], in.dt) : -1;
		for (int k = 0; k < in.nargs; k++) {
			if (!act[k])
				continue;
			bool one[3] = {false, false, false};
			int c[3] = {-1, -1, -1};
			one[k] = true;
			adj_rule(f, v, dt[in.args[k]], one, c);
			if (c[k] >= 0)
				t = t < 0 ? c[k] : ir_binary(f, OP_add, t, c[k]);
		}
		return t;
	case K_SHAPE:
	case K_SCATTER: {
		/* linear in the moved operands (not in a gather's or scatter's
		 * indices): the op of the tangents, zeros for those without */
		int small[16], *args = in.nargs <= 16 ? small : arena_array(f->A, (size_t)in.nargs, sizeof(int));
		for (int k = 0; k < in.nargs; k++) {
			const Inst *a = ir_inst(f, in.args[k]);
			bool index = (in.op == OP_gather || op_info[in.op].kind == K_SCATTER) && k == 1;
			args[k] = index    ? in.args[k]
			          : act[k] ? dt[in.args[k]]
			                   : ir_fill(f, a->dt, 0.0, a->rank, a->shape);
		}
		in.name = NULL;
		return ir_rebuild(f, &in, args);
	}
	case K_SCAN:
		in.name = NULL;
		if (in.op == OP_linrec) { /* dy[k] = a[k] dy[k - 1] + db[k] + da[k] y[k - 1] */
			int axis = (int)in.ints[0], a = in.args[0], b = in.args[1];
			int drive = act[1] ? dt[b] : -1;
			if (act[0]) {
				int da = ir_binary(f, OP_mul, dt[a], ir_shift(f, v, axis));
				drive = drive < 0 ? da : ir_binary(f, OP_add, drive, da);
			}
			return ir_linrec(f, a, drive, axis);
		}
		return ir_rebuild(f, &in, &dt[in.args[0]]); /* linear: the running sums of the tangent */
	case K_REDUCE: {
		if (in.op == OP_sum) {
			in.name = NULL;
			return ir_rebuild(f, &in, &dt[in.args[0]]);
		}
		/* the weights of the operand: the adjoint of ones */
		int ones = ir_fill(f, in.dt, 1.0, in.rank, in.shape), c[1] = {-1};
		bool one[1] = {true};
		adj_rule(f, v, ones, one, c);
		if (c[0] < 0)
			return -1;
		return ir_reduce(f, OP_sum, ir_binary(f, OP_mul, c[0], dt[in.args[0]]), in.ints, in.nints);
	}
	case K_MATMUL:
		/* d(A B) = dA B + A dB */
		for (int k = 0; k < 2; k++) {
			if (!act[k])
				continue;
			int args[2] = {in.args[0], in.args[1]};
			args[k] = dt[in.args[k]];
			in.name = NULL;
			int term = ir_rebuild(f, &in, args);
			t = t < 0 ? term : ir_binary(f, OP_add, t, term);
		}
		return t;
	case K_LINALG: {
		int a = in.args[0], da = act[0] ? dt[a] : -1;
		if (in.op == OP_cholesky) {
			/* dL = L tril(L^-1 dA' L^-T, diagonal halved), dA' the
			 * symmetric part of dA (the adjoint's convention) */
			int sym = ir_binary(f, OP_mul, ir_binary(f, OP_add, da, ir_mT(f, da)),
			                    ir_fill(f, in.dt, 0.5, in.rank, in.shape));
			int W = ir_trisolve(f, v, sym, true, false, false);
			int M = ir_mT(f, ir_trisolve(f, v, ir_mT(f, W), true, false, false));
			return ir_matmul(f, v, ir_triangle(f, M, true, 0.5), false, false);
		}
		const Inst *ai = ir_inst(f, a);
		int64_t axes[2] = {ai->rank - 2, ai->rank - 1};
		if (in.op == OP_logabsdet) /* d log |det A| = trace(A^-1 dA) */
			return ir_reduce(f, OP_sum, ir_binary(f, OP_mul, ir_solve(f, a, da, false), ir_eye_like(f, a)),
			                 axes, 2);
		if (in.op == OP_det) /* d det A = <cofactor(A), dA> */
			return ir_reduce(f, OP_sum, ir_binary(f, OP_mul, ir_det_part(f, OP_cofactor, a), da), axes, 2);
		if (in.op == OP_cofactor) { /* dC = tr(A^-1 dA) C - C (A^-1 dA)^T */
			int s = ir_solve(f, a, da, false);
			int tr = ir_reduce(f, OP_sum, ir_binary(f, OP_mul, s, ir_eye_like(f, a)), axes, 2);
			return ir_binary(f, OP_sub, ir_binary(f, OP_mul, ir_per_matrix(f, tr, a), v),
			                 ir_matmul(f, v, s, false, true));
		}
		/* dX = op(A)^-1 (dB - op(dA) X), dA in the triangle a trisolve reads */
		bool tri = in.op == OP_trisolve, lower = tri && in.ints[0], trans = tri ? in.ints[1] : in.ints[0],
		     unit = tri && in.ints[2];
		int rhs = act[1] ? dt[in.args[1]] : -1;
		if (da >= 0) {
			if (tri)
				da = ir_triangle(f, da, lower, unit ? 0 : 1);
			int dax = ir_matmul(f, da, v, trans, false);
			rhs = rhs < 0 ? ir_unary(f, OP_neg, dax) : ir_binary(f, OP_sub, rhs, dax);
		}
		return tri ? ir_trisolve(f, a, rhs, lower, trans, unit) : ir_solve(f, a, rhs, trans);
	}
	default: ICE("no tangent rule for %s", op_info[in.op].name);
	}
}

/* A body T doing what B does and then B's tangent sweep: B's parameters
 * after the first `lead` (a loop's t), in groups (ends[g] the end of group
 * g, counted after the lead), each group followed by the tangents of its
 * members with tan[k]. outs[r] and touts[r] are result r of B in T and its
 * tangent (-1: none). */
static Func *tangent_body(Func *f, const Func *B, int lead, const int *ends, int ngroups, const bool *tan, int *outs,
                          int *touts)
{
	Arena *A = f->A;
	Func *T = ir_body_new(f, arena_printf(A, "%s_tangent", B->name));
	T->cur_stmt = B->cur_stmt;
	int np = B->params.len - lead;
	int *map = arena_array(A, (size_t)B->ins.len + 1, sizeof(int)),
	    *dparam = arena_array(A, (size_t)np + 1, sizeof(int));
	for (int k = 0; k < lead; k++) {
		const Inst *p = ir_inst(B, B->params.data[k]);
		map[B->params.data[k]] = ir_param(T, p->name, p->dt, p->rank, p->shape, p->flags & IF_NOGRAD);
	}
	for (int g = 0, from = 0; g < ngroups; from = ends[g++]) {
		for (int k = from; k < ends[g]; k++) {
			const Inst *p = ir_inst(B, B->params.data[lead + k]);
			map[B->params.data[lead + k]] = ir_param(T, p->name, p->dt, p->rank, p->shape, false);
		}
		for (int k = from; k < ends[g]; k++) {
			const Inst *p = ir_inst(B, B->params.data[lead + k]);
			dparam[k] = !tan[k] ? -1
			                    : ir_param(T, arena_printf(A, "dot_%s", p->name ? p->name : "x"), p->dt,
			                               p->rank, p->shape, false);
		}
	}
	for (int u = 0; u < B->ins.len; u++) {
		Inst x = *ir_inst(B, u);
		if (x.op == OP_param)
			continue;
		int small[16], *args = x.nargs <= 16 ? small : arena_array(A, (size_t)x.nargs, sizeof(int));
		for (int k = 0; k < x.nargs; k++)
			args[k] = map[x.args[k]];
		map[u] = ir_rebuild(T, &x, args);
	}
	int nin = 0, *ins = arena_array(A, (size_t)np + 1, sizeof(int)),
	    *seeds = arena_array(A, (size_t)np + 1, sizeof(int));
	for (int k = 0; k < np; k++)
		if (tan[k]) {
			ins[nin] = map[B->params.data[lead + k]];
			seeds[nin++] = dparam[k];
		}
	int nr = B->results.len, nvalid = 0, *valid = arena_array(A, (size_t)nr + 1, sizeof(int));
	for (int r = 0; r < nr; r++) {
		outs[r] = B->results.data[r].value >= 0 ? map[B->results.data[r].value] : -1;
		if (outs[r] >= 0)
			valid[nvalid++] = outs[r];
	}
	int *tv = arena_array(A, (size_t)nvalid + 1, sizeof(int));
	tan_jvp(T, ins, seeds, nin, valid, nvalid, NULL, 0, tv);
	for (int r = 0, i = 0; r < nr; r++)
		touts[r] = outs[r] >= 0 ? tv[i++] : -1;
	return T;
}

/* Result r of B as a result of T: value v (or zeros of r's type). */
static void put_result(Func *T, const FuncResult *r, const char *name, int v)
{
	int x = v >= 0 ? v : ir_fill(T, r->dt, 0.0, r->rank, r->shape);
	VEC_PUSH(T->A, T->results, ((FuncResult){name, x, r->dt, r->rank, r->shape}));
}

static const char *dot_name(Arena *A, const char *name, const char *fallback)
{
	return arena_printf(A, "dot_%s", name ? name : fallback);
}

/* The operands of a loop or cond from `from` on, in groups, each followed
 * by the tangents of its members with tan[k] (zeros where none reaches). */
static int grouped(Func *f, const Inst *in, int from, const int *ends, int g, const bool *tan, const int *dt, int *out)
{
	int n = 0, lo = g ? ends[g - 1] : 0;
	for (int k = lo; k < ends[g]; k++)
		out[n++] = in->args[from + k];
	for (int k = lo; k < ends[g]; k++) {
		if (!tan[k])
			continue;
		const Inst *a = ir_inst(f, in->args[from + k]);
		out[n++] =
		    dt[in->args[from + k]] >= 0 ? dt[in->args[from + k]] : ir_fill(f, a->dt, 0.0, a->rank, a->shape);
	}
	return n;
}

static LoopTangent loop_tangent(Func *f, int v, const int *dt)
{
	Inst in = *ir_inst(f, v);
	const Func *B = in.bodies[0];
	int ninv = (int)in.ints[LOOP_NINV], nc = (int)in.ints[LOOP_NCARRY], nxs = (int)in.ints[LOOP_NXS];
	bool brk = in.ints[LOOP_FLAGS] & LF_BREAK;
	int nr = B->results.len, off = brk ? 1 : 0, nys = nr - off - nc;
	Arena *A = f->A;
	/* which operands have a tangent: active invariants and rows, every
	 * float carry (an active invariant may reach it) */
	bool *tan = arena_array(A, (size_t)in.nargs + 1, sizeof(bool));
	for (int k = 0; k < in.nargs; k++) {
		bool carry = k >= ninv && k < ninv + nc;
		tan[k] = !dtype_is_int(ir_inst(f, in.args[k])->dt) && (carry || dt[in.args[k]] >= 0);
	}
	int ends[3] = {ninv, ninv + nc, ninv + nc + nxs};
	int *outs = arena_array(A, (size_t)nr + 1, sizeof(int)), *touts = arena_array(A, (size_t)nr + 1, sizeof(int));
	Func *T = tangent_body(f, B, 1, ends, 3, tan, outs, touts);
	/* results: [the break flag], the carries and their tangents, the rows
	 * and theirs */
	const FuncResult *R = B->results.data;
	LoopTangent lt;
	lt.of = arena_array(A, (size_t)nr + 2, sizeof(int));
	for (int r = 0; r < nr + 1; r++)
		lt.of[r] = -1;
	if (brk)
		put_result(T, &R[0], R[0].name, outs[0]);
	for (int k = 0; k < nc; k++)
		put_result(T, &R[off + k], R[off + k].name, outs[off + k]);
	int ndc = 0;
	for (int k = 0; k < nc; k++)
		if (tan[ninv + k]) {
			put_result(T, &R[off + k], dot_name(A, R[off + k].name, "carry"), touts[off + k]);
			lt.of[k] = nc + ndc++;
		}
	for (int j = 0; j < nys; j++)
		put_result(T, &R[off + nc + j], R[off + nc + j].name, outs[off + nc + j]);
	for (int j = 0, ndy = 0; j < nys; j++)
		if (!dtype_is_int(R[off + nc + j].dt)) {
			put_result(T, &R[off + nc + j], dot_name(A, R[off + nc + j].name, "row"), touts[off + nc + j]);
			lt.of[nc + j] = nc + ndc + nys + ndy++;
		}
	/* the loop: the operands as before, each group followed by the tangents */
	int *ops[3], counts[3];
	for (int g = 0; g < 3; g++) {
		ops[g] = arena_array(A, (size_t)2 * in.nargs + 1, sizeof(int)); /* members and tangents */
		counts[g] = grouped(f, &in, 0, ends, g, tan, dt, ops[g]);
	}
	lt.loop = ir_loop(f, in.dims[0], in.dims[1], in.ints[LOOP_STEP], (unsigned)in.ints[LOOP_FLAGS], 0, ops[0],
	                  counts[0], ops[1], counts[1], ops[2], counts[2], T);
	return lt;
}

/* A cond's tangent: the same condition, each branch followed by its
 * tangent sweep; results: the values, then the tangents of the floats. */
static LoopTangent cond_tangent(Func *f, int v, const int *dt)
{
	Inst in = *ir_inst(f, v);
	int nops = in.nargs - 1, nr = in.bodies[0]->results.len;
	Arena *A = f->A;
	bool *tan = arena_array(A, (size_t)nops + 1, sizeof(bool));
	for (int k = 0; k < nops; k++)
		tan[k] = !dtype_is_int(ir_inst(f, in.args[1 + k])->dt) && dt[in.args[1 + k]] >= 0;
	int ends[1] = {nops};
	Func *T[2];
	LoopTangent lt;
	lt.of = arena_array(A, (size_t)nr + 1, sizeof(int));
	for (int j = 0; j < 2; j++) {
		const Func *B = in.bodies[j];
		int *outs = arena_array(A, (size_t)nr + 1, sizeof(int)),
		    *touts = arena_array(A, (size_t)nr + 1, sizeof(int));
		T[j] = tangent_body(f, B, 0, ends, 1, tan, outs, touts);
		const FuncResult *R = B->results.data;
		for (int r = 0; r < nr; r++)
			put_result(T[j], &R[r], R[r].name, outs[r]);
		for (int r = 0, m = 0; r < nr; r++) {
			lt.of[r] = -1;
			if (!dtype_is_int(R[r].dt)) {
				put_result(T[j], &R[r], dot_name(A, R[r].name, "result"), touts[r]);
				lt.of[r] = nr + m++;
			}
		}
	}
	int *ops = arena_array(A, (size_t)2 * nops + 1, sizeof(int));
	int n = grouped(f, &in, 1, ends, 0, tan, dt, ops);
	lt.loop = ir_cond(f, in.args[0], ops, n, T[0], T[1]);
	return lt;
}

void tan_jvp(Func *f, const int *ins, const int *seeds, int nin, const int *outs, int nout, const int *blocked,
             int nblocked, int *tangents)
{
	int n = f->ins.len;
	int *dt = arena_array(f->A, (size_t)n + 1, sizeof(int));
	bool *need = arena_array(f->A, (size_t)n + 1, sizeof(bool)),
	     *input = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	bool *blk = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int v = 0; v < n; v++)
		dt[v] = -1;
	for (int i = 0; i < nblocked; i++)
		blk[blocked[i]] = true;
	/* what an output depends on (no tangent is made for anything else) */
	for (int j = 0; j < nout; j++)
		need[outs[j]] = true;
	for (int v = n - 1; v >= 0; v--) {
		const Inst *in = ir_inst(f, v);
		for (int k = 0; need[v] && !blk[v] && k < in->nargs; k++)
			if (!ir_cuts_arg(f, in, k))
				need[in->args[k]] = true;
	}
	/* an input's seed is added to what reaches it from the inputs before
	 * it (as the adjoint pass counts the paths through an input) */
	int lo = n, *seed = arena_array(f->A, (size_t)n + 1, sizeof(int));
	for (int v = 0; v < n; v++)
		seed[v] = -1;
	for (int i = 0; i < nin; i++) {
		int x = ins[i];
		if (blk[x])
			continue;
		input[x] = true;
		seed[x] = seed[x] < 0 ? seeds[i] : ir_binary(f, OP_add, seed[x], seeds[i]);
		lo = x < lo ? x : lo;
	}
	/* one sweep in program order */
	LoopTangent *lt = arena_array(f->A, (size_t)n + 1, sizeof(LoopTangent));
	for (int v = lo; v < n; v++) {
		if (!need[v] || blk[v])
			continue;
		const Inst *in = ir_inst(f, v);
		if (in->op == OP_extract) { /* a result of a loop or cond: of its tangent op */
			const LoopTangent *t = &lt[in->args[0]];
			int k = t->of ? t->of[in->ints[0]] : -1;
			if (k >= 0 && !dtype_is_int(in->dt))
				dt[v] = ir_extract(f, t->loop, k);
			continue;
		}
		bool *act = arena_array(f->A, (size_t)in->nargs + 1, sizeof(bool)), any = false;
		for (int k = 0; k < in->nargs; k++) {
			act[k] = dt[in->args[k]] >= 0 && !ir_cuts_arg(f, in, k);
			any = any || act[k];
		}
		if (any && (in->op == OP_loop || in->op == OP_cond))
			lt[v] = in->op == OP_loop ? loop_tangent(f, v, dt) : cond_tangent(f, v, dt);
		else if (any)
			dt[v] = tangent_of(f, v, act, dt);
		if (seed[v] >= 0)
			dt[v] = dt[v] < 0 ? seed[v] : ir_binary(f, OP_add, dt[v], seed[v]);
		if (dt[v] >= 0 && in->name && !ir_inst(f, dt[v])->name && !input[v])
			ir_inst(f, dt[v])->name = arena_printf(f->A, "dot_%s", in->name);
	}
	for (int j = 0; j < nout; j++)
		tangents[j] = dt[outs[j]];
}

/* The Jacobian-vector function of f, built by the forward-mode pass as
 * adj_vjp_function builds the vector-Jacobian one (JvpInfo says
 * what it takes and gives). Its tangents flow from the tangent
 * parameters only: a nograd parameter has none. */
Func *tan_jvp_function(const Func *f, JvpInfo *info)
{
	int np = f->params.len, nr = f->results.len;
	info->tan_param = arena_array(f->A, (size_t)np + 1, sizeof(int));
	info->tan_result = arena_array(f->A, (size_t)nr + 1, sizeof(int));
	info->ntans = info->nouts = 0;
	for (int p = 0; p < np; p++) {
		const Inst *in = ir_inst(f, f->params.data[p]);
		if (!(in->flags & IF_NOGRAD) && !dtype_is_int(in->dt))
			info->tan_param[info->ntans++] = p;
	}
	for (int r = 0; r < nr; r++)
		if (f->results.data[r].value >= 0 && !dtype_is_int(f->results.data[r].dt))
			info->tan_result[info->nouts++] = r;
	Func *nf = ir_clone(f);
	nf->name = arena_printf(f->A, "%s_jvp", f->name);
	nf->cur_loc = f->loc;
	int nt = info->ntans, no = info->nouts;
	int *ins = arena_array(f->A, (size_t)nt + 1, sizeof(int));
	int *seeds = arena_array(f->A, (size_t)nt + 1, sizeof(int));
	for (int i = 0; i < nt; i++) {
		const Inst *p = ir_inst(f, f->params.data[info->tan_param[i]]);
		ins[i] = f->params.data[info->tan_param[i]];
		seeds[i] = ir_param(nf, arena_printf(f->A, "tan_%s", p->name), p->dt, p->rank, p->shape, true);
	}
	int *outs = arena_array(f->A, (size_t)no + 1, sizeof(int));
	int *t = arena_array(f->A, (size_t)no + 1, sizeof(int));
	for (int j = 0; j < no; j++)
		outs[j] = f->results.data[info->tan_result[j]].value;
	tan_jvp(nf, ins, seeds, nt, outs, no, NULL, 0, t);
	for (int j = 0; j < no; j++) {
		const FuncResult *fr = &f->results.data[info->tan_result[j]];
		FuncResult r = {arena_printf(f->A, "tan_%s", fr->name), t[j], fr->dt, fr->rank, fr->shape};
		VEC_PUSH(nf->A, nf->results, r);
	}
	return nf;
}
