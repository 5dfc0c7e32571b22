/* ir.c: the op table, IR construction and shape rules. */
#include "ir.h"

#include <string.h>

const OpInfo op_info[OP_COUNT] = {
#define X(name, arity, kind, flags, c, fold) [OP_##name] = {#name, arity, kind, flags, c},
#include "ops.def"
#undef X
};

bool op_cuts_arg(Op op, int k)
{
	if (op_info[op].flags & F_CUT)
		return true;
	return (op == OP_where || op == OP_cond) && k == 0; /* conditions are not differentiated */
}

bool ir_cuts_arg(const Func *f, const Inst *in, int k)
{
	/* integers have no derivative: nothing flows into or out of them */
	return op_cuts_arg(in->op, k) || dtype_is_int(in->dt) || dtype_is_int(ir_inst(f, in->args[k])->dt);
}

Func *ir_func_new(Arena *A, DimCtx *dc, SrcFile *src, const char *name)
{
	Func *f = arena_alloc(A, sizeof *f);
	f->A = A;
	f->dc = dc;
	f->src = src;
	f->name = name;
	f->cur_stmt = -1;
	return f;
}

/* The number of instructions the first k pages hold. */
static int64_t pages_hold(int k)
{
	return (((int64_t)1 << k) - 1) << IR_PAGE0_BITS;
}

void ir_reserve(Func *f, int n)
{
	InstPages *p = &f->ins;
	while (pages_hold(p->npages) < (int64_t)p->len + n) {
		if (p->npages == IR_MAX_PAGES || pages_hold(p->npages + 1) > INT32_MAX)
			ICE("%s: more than 2^31 instructions", f->name);
		p->pages[p->npages] = arena_array(f->A, (size_t)IR_PAGE0 << p->npages, sizeof(Inst));
		p->npages++;
	}
}

void ir_release(Func *f)
{
	InstPages *p = &f->ins;
	for (int k = 0; k < p->npages; k++)
		arena_release(f->A, p->pages[k], ((size_t)IR_PAGE0 << k) * sizeof(Inst));
	memset(p, 0, sizeof *p);
}

Func *ir_func_like(const Func *g)
{
	Func *f = ir_func_new(g->A, g->dc, g->src, g->name);
	f->loc = g->loc;
	for (int i = 0; i < g->results.len; i++)
		VEC_PUSH(f->A, f->results, g->results.data[i]);
	for (int i = 0; i < g->dimsyms.len; i++)
		VEC_PUSH(f->A, f->dimsyms, g->dimsyms.data[i]);
	for (int i = 0; i < g->cons.len; i++)
		VEC_PUSH(f->A, f->cons, g->cons.data[i]);
	for (int i = 0; i < g->stmts.len; i++)
		VEC_PUSH(f->A, f->stmts, g->stmts.data[i]);
	/* grad sites refer to g's value ids; passes that renumber drop them */
	return f;
}

int64_t ir_numel_const(const Inst *in)
{
	int64_t n = 1;
	for (int i = 0; i < in->rank; i++) {
		int64_t d;
		if (!dim_is_const(in->shape[i], &d))
			return -1;
		if (__builtin_mul_overflow(n, d, &n))
			return -1;
	}
	return n;
}

static bool same_dims(int ra, const Dim **a, int rb, const Dim **b)
{
	if (ra != rb)
		return false;
	for (int i = 0; i < ra; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

bool ir_same_shape(const Inst *a, const Inst *b)
{
	return same_dims(a->rank, a->shape, b->rank, b->shape);
}

bool ir_is_scalar_const(const Func *f, int v, double *val)
{
	const Inst *in = ir_inst(f, v);
	while (in->op == OP_broadcast)
		in = ir_inst(f, in->args[0]);
	if (in->op != OP_const || in->nnums != 1)
		return false;
	if (val)
		*val = in->nums[0];
	return true;
}

/* A copy the caller may write (shape rules build results in these). */
static const Dim **dims_copy(Func *f, int rank, const Dim **shape)
{
	const Dim **s = arena_array(f->A, (size_t)rank + 1, sizeof *s);
	if (rank)
		memcpy(s, shape, (size_t)rank * sizeof *s);
	return s;
}

static bool is_one(const Dim *d)
{
	int64_t v;
	return dim_is_const(d, &v) && v == 1;
}

static const Dim *product(Func *f, int rank, const Dim **shape)
{
	const Dim *p = dim_const(f->dc, 1);
	for (int i = 0; i < rank; i++)
		p = dim_mul(f->dc, p, shape[i]);
	return p;
}

/* A source's shape is its own. */
static const Dim **shape_src(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	(void)args, (void)why;
	*rank = p->rank;
	return p->shape ? p->shape : arena_alloc(f->A, sizeof(Dim *));
}

static const Dim **shape_ew(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	for (int k = 1; k < p->nargs; k++)
		if (!ir_same_shape(a, ir_inst(f, args[k]))) {
			*why = "elementwise operands differ in shape";
			return NULL;
		}
	*rank = a->rank;
	return a->shape;
}

static const Dim **shape_reduce(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	const Dim **s = arena_array(f->A, (size_t)a->rank + 1, sizeof *s);
	int r = 0;
	for (int i = 0, k = 0; i < a->rank; i++) {
		if (k < p->nints && p->ints[k] == i) {
			k++;
			continue;
		}
		s[r++] = a->shape[i];
	}
	for (int k = 0; k < p->nints; k++)
		if (p->ints[k] < 0 || p->ints[k] >= a->rank || (k > 0 && p->ints[k] <= p->ints[k - 1])) {
			*why = "bad reduction axes";
			return NULL;
		}
	*rank = r;
	return s;
}

static const Dim **shape_matmul(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	const Inst *b = ir_inst(f, args[1]);
	if (a->rank < 2 || a->rank != b->rank) {
		*why = "matmul operands must have the same rank >= 2";
		return NULL;
	}
	int r = a->rank;
	for (int i = 0; i < r - 2; i++)
		if (a->shape[i] != b->shape[i]) {
			*why = "matmul batch dimensions differ";
			return NULL;
		}
	bool ta = p->ints[0], tb = p->ints[1];
	const Dim *m = a->shape[r - 2 + ta], *ka = a->shape[r - 1 - ta];
	const Dim *kb = b->shape[r - 2 + tb], *n = b->shape[r - 1 - tb];
	if (ka != kb) {
		*why = "matmul inner dimensions differ";
		return NULL;
	}
	const Dim **s = dims_copy(f, r, a->shape);
	s[r - 2] = m;
	s[r - 1] = n;
	*rank = r;
	return s;
}

/* A loop or cond has no value of its own: its results are extracted. */
static const Dim **shape_ctrl(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	(void)p, (void)args, (void)why;
	*rank = 0;
	return arena_alloc(f->A, sizeof(Dim *));
}

static const Dim **shape_extract(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	DType dt;
	const Dim **shape;
	if (!ir_result_type(f, args[0], (int)p->ints[0], &dt, rank, &shape)) {
		*why = "extract of a result that does not exist";
		return NULL;
	}
	return shape;
}

static const Dim **shape_broadcast(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	if (p->rank < a->rank) {
		*why = "broadcast to a lower rank";
		return NULL;
	}
	for (int i = 0; i < a->rank; i++) {
		const Dim *d = a->shape[i], *t = p->shape[p->rank - a->rank + i];
		if (d != t && !is_one(d)) {
			*why = "broadcast of an incompatible shape";
			return NULL;
		}
	}
	*rank = p->rank;
	return p->shape;
}

static const Dim **shape_reshape(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	int64_t x, y;
	const Dim *na = product(f, a->rank, a->shape), *nb = product(f, p->rank, p->shape);
	if (dim_is_const(na, &x) && dim_is_const(nb, &y) && x != y) {
		*why = "reshape changes the number of elements";
		return NULL;
	}
	*rank = p->rank;
	return p->shape;
}

static const Dim **shape_transpose(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	if (p->nints != a->rank) {
		*why = "transpose permutation has the wrong length";
		return NULL;
	}
	const Dim **s = arena_array(f->A, (size_t)a->rank + 1, sizeof *s);
	unsigned seen = 0;
	for (int i = 0; i < a->rank; i++) {
		int64_t k = p->ints[i];
		if (k < 0 || k >= a->rank || (seen >> k & 1)) {
			*why = "transpose permutation is not a permutation";
			return NULL;
		}
		seen |= 1u << k;
		s[i] = a->shape[k];
	}
	*rank = a->rank;
	return s;
}

static const Dim **shape_slice(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	if (p->rank != a->rank || p->nints != a->rank || p->ndims != a->rank) {
		*why = "slice attributes do not match the rank";
		return NULL;
	}
	for (int i = 0; i < p->rank; i++)
		if (p->ints[i] == 0) {
			*why = "slice step is zero";
			return NULL;
		}
	*rank = p->rank;
	return p->shape;
}

static const Dim **shape_unslice(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	if (p->rank != a->rank || p->nints != a->rank || p->ndims != a->rank) {
		*why = "unslice attributes do not match the rank";
		return NULL;
	}
	*rank = p->rank;
	return p->shape;
}

static const Dim **shape_concat(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = p->nargs > 0 ? ir_inst(f, args[0]) : NULL;
	int axis = (int)p->ints[0];
	if (axis < 0 || axis >= a->rank) {
		*why = "concat axis out of range";
		return NULL;
	}
	const Dim **s = dims_copy(f, a->rank, a->shape);
	for (int k = 1; k < p->nargs; k++) {
		const Inst *b = ir_inst(f, args[k]);
		if (b->rank != a->rank) {
			*why = "concat operands differ in rank";
			return NULL;
		}
		for (int i = 0; i < a->rank; i++)
			if (i != axis && b->shape[i] != a->shape[i]) {
				*why = "concat operands differ off the axis";
				return NULL;
			}
		s[axis] = dim_add(f->dc, s[axis], b->shape[axis]);
	}
	*rank = a->rank;
	return s;
}

static const Dim **shape_gather(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *x = ir_inst(f, args[0]), *idx = ir_inst(f, args[1]);
	int axis = (int)p->ints[0];
	if (p->nints != 1 || axis < 0 || axis >= x->rank) {
		*why = "gather axis out of range";
		return NULL;
	}
	if (!dtype_is_int(idx->dt)) {
		*why = "gather indices are not integers";
		return NULL;
	}
	const Dim **s = arena_array(f->A, IR_MAX_RANK + 1, sizeof(Dim *));
	if ((*rank = ir_gather_shape(x, idx, axis, s)) < 0) {
		*why = "gather result rank too large";
		return NULL;
	}
	return s;
}

int ir_gather_shape(const Inst *x, const Inst *idx, int axis, const Dim **out)
{
	int rank = x->rank - 1 + idx->rank, r = 0;
	if (rank > IR_MAX_RANK)
		return -1;
	for (int k = 0; k < axis; k++)
		out[r++] = x->shape[k];
	for (int k = 0; k < idx->rank; k++)
		out[r++] = idx->shape[k];
	for (int k = axis + 1; k < x->rank; k++)
		out[r++] = x->shape[k];
	return rank;
}

/* cholesky: a square matrix (batch), itself; trisolve and solve: a square
 * A and B [..., n, k] with A's batch axes, B's shape. */
static const Dim **shape_linalg(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *a = ir_inst(f, args[0]);
	if (a->rank < 2 || a->shape[a->rank - 1] != a->shape[a->rank - 2]) {
		*why = "not a (batch of) square matrices";
		return NULL;
	}
	if (p->op == OP_cholesky || p->op == OP_cofactor) {
		*rank = a->rank;
		return a->shape;
	}
	if (p->op == OP_logabsdet || p->op == OP_detsign || p->op == OP_det) { /* one number a matrix */
		*rank = a->rank - 2;
		return a->shape;
	}
	const Inst *b = ir_inst(f, args[1]);
	bool ok = b->rank == a->rank && b->shape[b->rank - 2] == a->shape[a->rank - 1];
	for (int k = 0; ok && k < a->rank - 2; k++)
		ok = a->shape[k] == b->shape[k];
	if (!ok) {
		*why = "the right-hand side is not [..., n, k] with the matrix's batch axes";
		return NULL;
	}
	*rank = b->rank;
	return b->shape;
}

static const Dim **shape_scatter(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	const Inst *x = ir_inst(f, args[0]), *v = ir_inst(f, args[2]);
	int gr;
	const Dim **g = shape_gather(f, p, args, &gr, why);
	if (!g)
		return NULL;
	bool same = v->rank == gr && v->dt == x->dt;
	for (int k = 0; same && k < gr; k++)
		same = v->shape[k] == g[k];
	if (!same) {
		*why = "scattered values do not have the gathered shape";
		return NULL;
	}
	*rank = x->rank;
	return x->shape;
}

/* The shape rules: by op where one has its own, else by kind. */
static ShapeRule *const shape_by_kind[] = {
    [K_SRC] = shape_src, [K_EW] = shape_ew, [K_REDUCE] = shape_reduce, [K_MATMUL] = shape_matmul};
static ShapeRule *const shape_by_op[OP_COUNT] = {
    [OP_broadcast] = shape_broadcast, [OP_reshape] = shape_reshape,     [OP_transpose] = shape_transpose,
    [OP_slice] = shape_slice,         [OP_unslice] = shape_unslice,     [OP_concat] = shape_concat,
    [OP_loop] = shape_ctrl,           [OP_cond] = shape_ctrl,           [OP_extract] = shape_extract,
    [OP_gather] = shape_gather,       [OP_scatter_add] = shape_scatter, [OP_scatter_max] = shape_scatter,
    [OP_scatter_set] = shape_scatter, [OP_cumsum] = shape_ew,           [OP_linrec] = shape_ew,
    [OP_cholesky] = shape_linalg,     [OP_trisolve] = shape_linalg,     [OP_solve] = shape_linalg,
    [OP_logabsdet] = shape_linalg,    [OP_detsign] = shape_linalg,      [OP_det] = shape_linalg,
    [OP_cofactor] = shape_linalg,
};

ShapeRule *ir_shape_rule(Op op)
{
	if ((unsigned)op >= OP_COUNT)
		return NULL;
	OpKind k = op_info[op].kind;
	if (shape_by_op[op])
		return shape_by_op[op];
	return k == K_SRC || k == K_EW || k == K_REDUCE || k == K_MATMUL ? shape_by_kind[k] : NULL;
}

const Dim **ir_infer_shape(Func *f, const Inst *p, const int *args, int *rank, const char **why)
{
	*why = NULL;
	ShapeRule *rule = ir_shape_rule(p->op);
	if (!rule) {
		*why = "no shape rule for the op";
		return NULL;
	}
	return rule(f, p, args, rank, why);
}

static DType result_dtype(Func *f, const Inst *p, const int *args, const char **why)
{
	*why = NULL;
	if (p->op == OP_extract) {
		DType dt = DT_F64;
		int rank;
		const Dim **shape;
		if (!ir_result_type(f, args[0], (int)p->ints[0], &dt, &rank, &shape))
			*why = "extract of a result that does not exist";
		return dt;
	}
	if (p->op == OP_cast || op_info[p->op].kind == K_SRC || op_info[p->op].kind == K_CTRL)
		return p->dt;
	if (p->op == OP_argmax || p->op == OP_argmin) /* a position */
		return DT_I64;
	if (p->op == OP_gather) /* the indices are integers of any type */
		return ir_inst(f, args[0])->dt;
	if (op_info[p->op].kind == K_SCATTER) {
		if (ir_inst(f, args[2])->dt != ir_inst(f, args[0])->dt)
			*why = "operands differ in dtype";
		else if (p->op == OP_scatter_max && !dtype_is_int(ir_inst(f, args[0])->dt))
			*why = "scatter_max combines integers only";
		return ir_inst(f, args[0])->dt;
	}
	int first = p->op == OP_where ? 1 : 0;
	DType dt = ir_inst(f, args[first])->dt;
	for (int k = first + 1; k < p->nargs; k++)
		if (ir_inst(f, args[k])->dt != dt)
			*why = "operands differ in dtype";
	return dt;
}

static int append(Func *f, const Inst *proto, const int *args)
{
	const OpInfo *info = &op_info[proto->op];
	if (info->arity >= 0 && proto->nargs != info->arity)
		ICE("%s takes %d operands, got %d", info->name, info->arity, proto->nargs);
	for (int k = 0; k < proto->nargs; k++)
		if (args[k] < 0 || args[k] >= f->ins.len)
			ICE("%s: operand %d is undefined (%%%d)", info->name, k, args[k]);
	Inst in = *proto;
	const char *why;
	in.shape = ir_infer_shape(f, proto, args, &in.rank, &why);
	if (!in.shape)
		ICE("%s: %s", info->name, why);
	in.dt = result_dtype(f, proto, args, &why);
	if (why)
		ICE("%s: %s", info->name, why);
	in.shape = dim_shape(f->dc, in.rank, in.shape);
	in.args = arena_array(f->A, (size_t)in.nargs + 1, sizeof(int));
	if (in.nargs)
		memcpy(in.args, args, (size_t)in.nargs * sizeof(int));
	ir_reserve(f, 1);
	*ir_inst(f, f->ins.len++) = in;
	return f->ins.len - 1;
}

static Inst proto_of(Func *f, Op op, int nargs)
{
	Inst p;
	memset(&p, 0, sizeof p);
	p.op = op;
	p.nargs = nargs;
	p.loc = f->cur_loc;
	p.stmt = f->cur_stmt;
	return p;
}

/* An instruction's one integer attribute (an axis, a result's index). */
static void one_int(Func *f, Inst *p, int64_t v)
{
	p->nints = 1;
	p->ints = arena_alloc(f->A, sizeof(int64_t));
	p->ints[0] = v;
}

int ir_rebuild(Func *f, const Inst *proto, const int *args)
{
	Inst p = *proto;
	p.name = proto->name;
	return append(f, &p, args);
}

int ir_param(Func *f, const char *name, DType dt, int rank, const Dim **shape, bool nograd)
{
	Inst p = proto_of(f, OP_param, 0);
	p.dt = dt;
	p.rank = rank;
	p.shape = shape;
	p.name = name;
	p.flags = nograd ? IF_NOGRAD : 0;
	one_int(f, &p, f->params.len);
	int v = append(f, &p, NULL);
	VEC_PUSH(f->A, f->params, v);
	return v;
}

int ir_const(Func *f, DType dt, int rank, const Dim **shape, const double *nums)
{
	Inst p = proto_of(f, OP_const, 0);
	p.dt = dt;
	p.rank = rank;
	p.shape = shape;
	int64_t n = ir_numel_const(&p);
	if (n < 0)
		ICE("constant of symbolic shape");
	p.nnums = n;
	p.nums = arena_array(f->A, (size_t)n + 1, sizeof(double));
	for (int64_t i = 0; i < n; i++)
		p.nums[i] = dt == DT_F32 ? (double)(float)nums[i] : nums[i];
	return append(f, &p, NULL);
}

int ir_scalar(Func *f, DType dt, double v)
{
	return ir_const(f, dt, 0, NULL, &v);
}

int ir_iota(Func *f, DType dt, const Dim *n, double start, double delta, double stop, bool linspace)
{
	Inst p = proto_of(f, OP_iota, 0);
	p.dt = dt;
	p.rank = 1;
	p.shape = &n;
	p.nnums = 3;
	p.nums = arena_array(f->A, 3, sizeof(double));
	p.nums[0] = start;
	p.nums[1] = delta;
	p.nums[2] = linspace ? stop : 0; /* only linspace reads it (its last element is exactly stop) */
	p.flags = linspace ? IF_LINSPACE : 0;
	return append(f, &p, NULL);
}

int ir_dimval(Func *f, DType dt, const Dim *d)
{
	Inst p = proto_of(f, OP_dimval, 0);
	p.dt = dt;
	p.ndims = 1;
	p.dims = arena_alloc(f->A, sizeof *p.dims);
	p.dims[0] = d;
	return append(f, &p, NULL);
}

int ir_unary(Func *f, Op op, int a)
{
	Inst p = proto_of(f, op, 1);
	return append(f, &p, &a);
}

int ir_cast(Func *f, int a, DType dt)
{
	Inst p = proto_of(f, OP_cast, 1);
	p.dt = dt;
	return append(f, &p, &a);
}

int ir_binary(Func *f, Op op, int a, int b)
{
	Inst p = proto_of(f, op, 2);
	int args[2] = {a, b};
	return append(f, &p, args);
}

int ir_where(Func *f, int c, int a, int b)
{
	Inst p = proto_of(f, OP_where, 3);
	int args[3] = {c, a, b};
	return append(f, &p, args);
}

int ir_broadcast(Func *f, int a, int rank, const Dim **shape)
{
	Inst p = proto_of(f, OP_broadcast, 1);
	p.rank = rank;
	p.shape = shape;
	return append(f, &p, &a);
}

int ir_reshape(Func *f, int a, int rank, const Dim **shape)
{
	Inst p = proto_of(f, OP_reshape, 1);
	p.rank = rank;
	p.shape = shape;
	return append(f, &p, &a);
}

int ir_transpose(Func *f, int a, const int64_t *perm)
{
	Inst p = proto_of(f, OP_transpose, 1);
	p.nints = ir_inst(f, a)->rank;
	p.ints = arena_array(f->A, (size_t)p.nints + 1, sizeof(int64_t));
	memcpy(p.ints, perm, (size_t)p.nints * sizeof(int64_t));
	return append(f, &p, &a);
}

static int slice_like(Func *f, Op op, int a, const Dim **starts, const int64_t *steps, int rank, const Dim **shape)
{
	Inst p = proto_of(f, op, 1);
	p.rank = rank;
	p.shape = shape;
	p.nints = rank;
	p.ints = arena_array(f->A, (size_t)rank + 1, sizeof(int64_t));
	memcpy(p.ints, steps, (size_t)rank * sizeof(int64_t));
	p.ndims = rank;
	p.dims = dims_copy(f, rank, starts);
	return append(f, &p, &a);
}

int ir_slice(Func *f, int a, const Dim **starts, const int64_t *steps, const Dim **lens)
{
	return slice_like(f, OP_slice, a, starts, steps, ir_inst(f, a)->rank, lens);
}

int ir_unslice(Func *f, int a, const Dim **starts, const int64_t *steps, int rank, const Dim **full)
{
	return slice_like(f, OP_unslice, a, starts, steps, rank, full);
}

int ir_concat(Func *f, const int *args, int n, int axis)
{
	Inst p = proto_of(f, OP_concat, n);
	one_int(f, &p, axis);
	return append(f, &p, args);
}

int ir_gather(Func *f, int x, int idx, int axis)
{
	Inst p = proto_of(f, OP_gather, 2);
	one_int(f, &p, axis);
	int args[2] = {x, idx};
	return append(f, &p, args);
}

int ir_scatter(Func *f, Op op, int x, int idx, int v, int axis)
{
	Inst p = proto_of(f, op, 3);
	one_int(f, &p, axis);
	int args[3] = {x, idx, v};
	return append(f, &p, args);
}

bool ir_operand_dtype_free(Op op, int k)
{
	OpKind kind = op_info[op].kind;
	return kind == K_SRC || kind == K_CTRL || op == OP_cast || op == OP_argmax || op == OP_argmin ||
	       (op == OP_where && k == 0) || ((op == OP_gather || kind == K_SCATTER) && k == 1);
}

int ir_cholesky(Func *f, int a)
{
	Inst p = proto_of(f, OP_cholesky, 1);
	return append(f, &p, &a);
}

int ir_trisolve(Func *f, int a, int b, bool lower, bool trans, bool unit)
{
	Inst p = proto_of(f, OP_trisolve, 2);
	p.nints = 3;
	p.ints = arena_array(f->A, 3, sizeof(int64_t));
	p.ints[0] = lower, p.ints[1] = trans, p.ints[2] = unit;
	int args[2] = {a, b};
	return append(f, &p, args);
}

int ir_solve(Func *f, int a, int b, bool trans)
{
	Inst p = proto_of(f, OP_solve, 2);
	p.nints = 1;
	p.ints = arena_alloc(f->A, sizeof(int64_t));
	p.ints[0] = trans;
	int args[2] = {a, b};
	return append(f, &p, args);
}

int ir_per_matrix(Func *f, int g, int a)
{
	const Inst *ai = ir_inst(f, a);
	int r = ai->rank;
	const Dim *shape[IR_MAX_RANK], *one = dim_const(f->dc, 1);
	memcpy(shape, ai->shape, (size_t)r * sizeof *shape);
	shape[r - 2] = shape[r - 1] = one;
	return ir_broadcast_to(f, ir_reshape(f, g, r, shape), r, ai->shape);
}

int ir_det_part(Func *f, Op op, int a)
{
	Inst p = proto_of(f, op, 1);
	return append(f, &p, &a);
}

int ir_mT(Func *f, int a)
{
	int r = ir_inst(f, a)->rank;
	int64_t perm[IR_MAX_RANK];
	for (int k = 0; k < r; k++)
		perm[k] = k;
	perm[r - 2] = r - 1;
	perm[r - 1] = r - 2;
	return ir_transpose(f, a, perm);
}

/* The row and column numbers i, j of an n x n matrix. */
static void square_grid(Func *f, const Dim *n, int *i, int *j)
{
	const Dim *one = dim_const(f->dc, 1), *col[2] = {n, one}, *row[2] = {one, n}, *sq[2] = {n, n};
	int iota = ir_iota(f, DT_I64, n, 0, 1, 0, false);
	*i = ir_broadcast_to(f, ir_reshape(f, iota, 2, col), 2, sq);
	*j = ir_broadcast_to(f, ir_reshape(f, iota, 2, row), 2, sq);
}

int ir_eye_like(Func *f, int a)
{
	const Inst *x = ir_inst(f, a);
	int i, j;
	square_grid(f, x->shape[x->rank - 1], &i, &j);
	return ir_broadcast_to(f, ir_cast(f, ir_binary(f, OP_eq, i, j), x->dt), x->rank, x->shape);
}

int ir_triangle(Func *f, int a, bool lower, double diag)
{
	const Inst *x = ir_inst(f, a);
	int r = x->rank;
	DType dt = x->dt;
	const Dim *n = x->shape[r - 1], *sq[2] = {n, n}, *shape[IR_MAX_RANK];
	memcpy(shape, x->shape, (size_t)r * sizeof *shape);
	int i, j;
	square_grid(f, n, &i, &j);
	int keep = ir_cast(f, ir_binary(f, lower ? OP_gt : OP_lt, i, j), dt);
	if (diag != 0)
		keep = ir_binary(
		    f, OP_add, keep,
		    ir_binary(f, OP_mul, ir_cast(f, ir_binary(f, OP_eq, i, j), dt), ir_fill(f, dt, diag, 2, sq)));
	return ir_binary(f, OP_mul, a, ir_broadcast_to(f, keep, r, shape));
}

int ir_cumsum(Func *f, int a, int axis)
{
	Inst p = proto_of(f, OP_cumsum, 1);
	one_int(f, &p, axis);
	return append(f, &p, &a);
}

int ir_linrec(Func *f, int a, int b, int axis)
{
	Inst p = proto_of(f, OP_linrec, 2);
	one_int(f, &p, axis);
	int args[2] = {a, b};
	return append(f, &p, args);
}

int ir_shift(Func *f, int a, int axis)
{
	const Inst *ai = ir_inst(f, a);
	int rank = ai->rank;
	const Dim *starts[IR_MAX_RANK], *zero[IR_MAX_RANK], *longer[IR_MAX_RANK], *shape[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int k = 0; k < rank; k++) {
		shape[k] = ai->shape[k];
		zero[k] = dim_const(f->dc, 0);
		starts[k] = dim_const(f->dc, k == axis);
		longer[k] = k == axis ? dim_add(f->dc, shape[k], dim_const(f->dc, 1)) : shape[k];
		steps[k] = 1;
	}
	/* placed one further into an axis one longer, then the first n taken */
	int placed = ir_unslice(f, a, starts, steps, rank, longer);
	return ir_slice(f, placed, zero, steps, shape);
}

int ir_first_along(Func *f, DType dt, int rank, const Dim **shape, int axis)
{
	const Dim *along[1] = {shape[axis]}, *col[IR_MAX_RANK];
	for (int k = 0; k < rank; k++)
		col[k] = k == axis ? along[0] : dim_const(f->dc, 1);
	int pos = ir_iota(f, DT_I64, along[0], 0, 1, 0, false);
	int first = ir_cast(f, ir_binary(f, OP_eq, pos, ir_fill(f, DT_I64, 0.0, 1, along)), dt);
	return ir_broadcast_to(f, ir_reshape(f, first, rank, col), rank, shape);
}

int ir_reduce(Func *f, Op op, int a, const int64_t *axes, int naxes)
{
	Inst p = proto_of(f, op, 1);
	p.nints = naxes;
	p.ints = arena_array(f->A, (size_t)naxes + 1, sizeof(int64_t));
	if (naxes)
		memcpy(p.ints, axes, (size_t)naxes * sizeof(int64_t));
	return append(f, &p, &a);
}

int ir_matmul(Func *f, int a, int b, bool ta, bool tb)
{
	Inst p = proto_of(f, OP_matmul, 2);
	p.nints = 2;
	p.ints = arena_array(f->A, 2, sizeof(int64_t));
	p.ints[0] = ta;
	p.ints[1] = tb;
	int args[2] = {a, b};
	return append(f, &p, args);
}

/* ---------------------------------------------------------------- control flow */

static const Dim *trip_count(DimCtx *dc, const Dim *start, const Dim *stop, int64_t step, bool clamp)
{
	/* ceil(max(0, stop - start) / step), as floor((span + step - 1) / step) */
	const Dim *span = step > 0 ? dim_sub(dc, stop, start) : dim_sub(dc, start, stop);
	int64_t s = step > 0 ? step : -step, c;
	if (clamp)
		span = dim_max0(dc, span);
	if (dim_is_const(span, &c) && c <= 0)
		return dim_const(dc, 0); /* an empty range, known now */
	if (s == 1)
		return span;
	return dim_div(dc, dim_add(dc, span, dim_const(dc, s - 1)), dim_const(dc, s));
}

const Dim *ir_trip_count(DimCtx *dc, const Dim *start, const Dim *stop, int64_t step)
{
	return trip_count(dc, start, stop, step, true);
}

const Dim *ir_trip_count_if_runs(DimCtx *dc, const Dim *start, const Dim *stop, int64_t step)
{
	return trip_count(dc, start, stop, step, false);
}

int ir_nresults(const Func *f, int v)
{
	const Inst *in = ir_inst(f, v);
	/* a loop: the carries and the stacked rows its body gives, and instead
	 * of the break flag the count of iterations; a cond: its bodies' results */
	if (in->op == OP_loop || in->op == OP_cond)
		return in->bodies[0]->results.len;
	return 1;
}

bool ir_result_type(const Func *f, int v, int k, DType *dt, int *rank, const Dim ***shape)
{
	const Inst *in = ir_inst(f, v);
	if (in->op == OP_cond) {
		const Func *b = in->bodies[0];
		if (k < 0 || k >= b->results.len)
			return false;
		const FuncResult *r = &b->results.data[k];
		*dt = r->dt, *rank = r->rank, *shape = r->shape;
		return true;
	}
	if (in->op != OP_loop) {
		if (k != 0 || op_info[in->op].kind == K_CTRL)
			return false;
		*dt = in->dt, *rank = in->rank, *shape = in->shape;
		return true;
	}
	const Func *b = in->bodies[0];
	bool brk = in->ints[LOOP_FLAGS] & LF_BREAK;
	int nc = (int)in->ints[LOOP_NCARRY], off = brk ? 1 : 0, nys = b->results.len - off - nc;
	if (k < 0 || k >= nc + nys + (brk ? 1 : 0) || nys < 0)
		return false;
	if (k == nc + nys) { /* the count of iterations that ran */
		*dt = DT_I64, *rank = 0, *shape = arena_alloc(f->A, sizeof(Dim *));
		return true;
	}
	const FuncResult *r = &b->results.data[off + k];
	*dt = r->dt;
	if (k < nc) {
		*rank = r->rank, *shape = r->shape;
		return true;
	}
	if (r->rank + 1 > IR_MAX_RANK)
		return false;
	const Dim **s = arena_array(f->A, (size_t)r->rank + 2, sizeof *s);
	s[0] = ir_trip_count(f->dc, in->dims[0], in->dims[1], in->ints[LOOP_STEP]);
	for (int i = 0; i < r->rank; i++)
		s[i + 1] = r->shape[i];
	*rank = r->rank + 1, *shape = s;
	return true;
}

Func *ir_body_new(const Func *f, const char *name)
{
	Func *b = ir_func_new(f->A, f->dc, f->src, name);
	b->is_body = true;
	b->loc = f->cur_loc;
	b->cur_loc = f->cur_loc;
	b->cur_stmt = f->cur_stmt;
	return b;
}

int ir_loop(Func *f, const Dim *start, const Dim *stop, int64_t step, unsigned flags, int checkpoint, const int *inv,
            int ninv, const int *init, int ncarry, const int *xs, int nxs, Func *body)
{
	if (step == 0)
		ICE("loop with step 0");
	Inst p = proto_of(f, OP_loop, ninv + ncarry + nxs);
	p.dt = DT_F64;
	p.nints = LOOP_NINTS;
	p.ints = arena_array(f->A, LOOP_NINTS, sizeof(int64_t));
	p.ints[LOOP_STEP] = step;
	p.ints[LOOP_NINV] = ninv;
	p.ints[LOOP_NCARRY] = ncarry;
	p.ints[LOOP_NXS] = nxs;
	p.ints[LOOP_FLAGS] = flags;
	p.ints[LOOP_CKPT] = checkpoint;
	p.ndims = 2;
	p.dims = arena_array(f->A, 2, sizeof *p.dims);
	p.dims[0] = start;
	p.dims[1] = stop;
	p.nbodies = 1;
	p.bodies = arena_array(f->A, 1, sizeof *p.bodies);
	p.bodies[0] = body;
	int *args = arena_array(f->A, (size_t)p.nargs + 1, sizeof(int));
	for (int i = 0; i < ninv; i++)
		args[i] = inv[i];
	for (int i = 0; i < ncarry; i++)
		args[ninv + i] = init[i];
	for (int i = 0; i < nxs; i++)
		args[ninv + ncarry + i] = xs[i];
	return append(f, &p, args);
}

int ir_cond(Func *f, int pred, const int *ops, int nops, Func *then_body, Func *else_body)
{
	Inst p = proto_of(f, OP_cond, nops + 1);
	p.dt = DT_F64;
	p.nbodies = 2;
	p.bodies = arena_array(f->A, 2, sizeof *p.bodies);
	p.bodies[0] = then_body;
	p.bodies[1] = else_body;
	int *args = arena_array(f->A, (size_t)nops + 2, sizeof(int));
	args[0] = pred;
	for (int i = 0; i < nops; i++)
		args[i + 1] = ops[i];
	return append(f, &p, args);
}

int ir_extract(Func *f, int v, int k)
{
	Inst p = proto_of(f, OP_extract, 1);
	one_int(f, &p, k);
	return append(f, &p, &v);
}

int ir_fill(Func *f, DType dt, double v, int rank, const Dim **shape)
{
	int s = ir_scalar(f, dt, v);
	return rank == 0 ? s : ir_broadcast(f, s, rank, shape);
}

int ir_broadcast_to(Func *f, int a, int rank, const Dim **shape)
{
	const Inst *in = ir_inst(f, a);
	if (same_dims(in->rank, in->shape, rank, shape))
		return a;
	return ir_broadcast(f, a, rank, shape);
}

int ir_sum_to(Func *f, int a, int rank, const Dim **shape)
{
	const Inst *in = ir_inst(f, a);
	int ra = in->rank;
	if (same_dims(ra, in->shape, rank, shape))
		return a;
	int64_t axes[IR_MAX_RANK];
	int n = 0;
	for (int i = 0; i < ra; i++) {
		int j = i - (ra - rank);
		if (j < 0 || (is_one(shape[j]) && !is_one(in->shape[i])))
			axes[n++] = i;
	}
	int s = n ? ir_reduce(f, OP_sum, a, axes, n) : a;
	if (!same_dims(ir_inst(f, s)->rank, ir_inst(f, s)->shape, rank, shape))
		s = ir_reshape(f, s, rank, shape);
	return s;
}
