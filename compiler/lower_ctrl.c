/* lower_ctrl.c: statement lists and the control flow of LANGUAGE.md
 * section 10: `for t in range(...)`, `if ... else`, `break`.
 *
 * A loop becomes one `loop` instruction whose body is a function of its
 * own (ir.h), never unrolled: its parameters are the counter t, the values
 * the body reads from before the loop (invariants), the values it rebinds
 * (carries) and, for each `x[t + c]`, row t + c of x (a per-iteration
 * input: the loop reads x by rows, in place). Which names are which is
 * found by a scan of the body before it is lowered, so that the body's
 * parameters come in that order. An if becomes a `cond` whose two bodies
 * take the values either branch reads and give every name bound after it.
 *
 * A `break` sets a flag of the iteration (the hidden name BRK) and the
 * statements after an if that may break run only when it did not: the rest
 * of the block becomes the else branch of an if on the flag. The body gives
 * the flag as its first result, and the loop ends after an iteration that
 * set it. */
#include "lower_int.h"

#include "adjoint.h"

#include <stdio.h>
#include <string.h>

/* Hidden names start with a character no identifier has. */
#define BRK "$break"

bool lw_is_ident(const char *name)
{
	char c = name[0];
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---------------------------------------------------------------- what a block reads and binds */

typedef struct NameList {
	VEC(const char *) names;
	VEC(Loc) locs;
} NameList;

static int nl_find(const NameList *l, const char *name)
{
	for (int i = 0; i < l->names.len; i++)
		if (strcmp(l->names.data[i], name) == 0)
			return i;
	return -1;
}

static void nl_add(Lower *L, NameList *l, const char *name, Loc loc)
{
	if (nl_find(l, name) >= 0)
		return;
	VEC_PUSH(L->A, l->names, name);
	VEC_PUSH(L->A, l->locs, loc);
}

/* x[var + off]: a row of x that the loop of var reads per iteration. */
typedef struct RowRef {
	const char *name;
	int64_t off;
	Loc loc;
	const Ast *index; /* the whole x[...] (for messages) */
} RowRef;

typedef struct Scan {
	Lower *L;
	const char *var; /* the loop's variable (NULL: an if's branches) */
	NameList assigned, read;
	VEC(RowRef) rows;
	bool breaks;             /* a break of this block's loop (not of a loop inside it) */
	VEC(const char *) inner; /* variables of the loops inside, while they are scanned */
	int nbreak_loops;        /* loops inside, while they are scanned */
} Scan;

/* The hidden name of x[var + off] inside the loop of var. */
static const char *row_key(Lower *L, const char *x, const char *var, int64_t off)
{
	return arena_printf(L->A, "@%s[%s%+lld]", x, var, (long long)off);
}

/* Is e `var`, `var + c`, `var - c` or `c + var` (c an integer literal)? */
static bool row_offset(const Ast *e, const char *var, int64_t *off)
{
	if (e->kind == AST_NAME && strcmp(e->name, var) == 0) {
		*off = 0;
		return true;
	}
	if (e->kind != AST_BINOP || (e->op != BIN_ADD && e->op != BIN_SUB))
		return false;
	const Ast *a = e->a, *b = e->b;
	if (a->kind == AST_NAME && strcmp(a->name, var) == 0 && b->kind == AST_NUM && b->is_int && b->num < 1e15) {
		*off = e->op == BIN_ADD ? (int64_t)b->num : -(int64_t)b->num;
		return true;
	}
	if (e->op == BIN_ADD && b->kind == AST_NAME && strcmp(b->name, var) == 0 && a->kind == AST_NUM && a->is_int &&
	    a->num < 1e15) {
		*off = (int64_t)a->num;
		return true;
	}
	return false;
}

static bool is_inner_var(const Scan *S, const char *name)
{
	for (int i = 0; i < S->inner.len; i++)
		if (strcmp(S->inner.data[i], name) == 0)
			return true;
	return false;
}

static void scan_expr(Scan *S, const Ast *e);

/* The loop variable (of an enclosing loop, or `self` when not NULL) that
 * index item e is an offset of; NULL if none. */
static const char *loop_var_of(Lower *L, const Ast *e, const char *self, int64_t *off)
{
	if (self && row_offset(e, self, off))
		return self;
	for (LoopCtx *c = L->loop; c; c = c->outer)
		if (row_offset(e, c->var, off))
			return c->var;
	return NULL;
}

/* x[W1 + c1, W2 + c2, ...] with loop variables: row by row, each index a
 * row of what the ones before it gave. The prefix that enclosing loops
 * read is a hidden name (read like any name); an index of this loop's
 * variable after it makes a row this loop reads. */
static bool scan_row(Scan *S, const Ast *e)
{
	if (e->kind != AST_INDEX || e->a->kind != AST_NAME || e->list.n < 1 || !e->list.items[0])
		return false;
	Lower *L = S->L;
	const char *base = e->a->name;
	int k = 0;
	bool own = false;
	for (; k < e->list.n && e->list.items[k] && !own; k++) {
		const Ast *item = e->list.items[k];
		int64_t off;
		bool inner = false;
		for (int i = S->inner.len - 1; i >= 0 && !inner; i--)
			inner = row_offset(item, S->inner.data[i], &off);
		if (inner)
			break; /* a loop inside this one reads the rest */
		const char *w = loop_var_of(L, item, S->var, &off);
		if (!w)
			break;
		if (w == S->var) {
			bool seen = false;
			for (int i = 0; i < S->rows.len && !seen; i++)
				seen = strcmp(S->rows.data[i].name, base) == 0 && S->rows.data[i].off == off;
			if (!seen) {
				RowRef r = {base, off, item->loc, e};
				VEC_PUSH(L->A, S->rows, r);
			}
			own = true;
		} else {
			base = row_key(L, base, w, off);
		}
	}
	if (k == 0)
		return false;
	if (!own && base != e->a->name)
		nl_add(L, &S->read, base, e->list.items[0]->loc);
	else if (!own)
		return false;
	if (own && strcmp(base, e->a->name) != 0)
		nl_add(L, &S->read, base, e->list.items[0]->loc); /* the rows of a row: the row from outside */
	for (int i = k; i < e->list.n; i++)
		scan_expr(S, e->list.items[i]);
	return true;
}

static void scan_expr(Scan *S, const Ast *e)
{
	if (!e)
		return;
	switch (e->kind) {
	case AST_NAME:
		if (!is_inner_var(S, e->name))
			nl_add(S->L, &S->read, e->name, e->loc);
		return;
	case AST_INDEX:
		if (scan_row(S, e))
			return;
		break;
	case AST_UPDATE: /* y[...] = v reads y as a whole, its indices and v */
		scan_expr(S, e->a->a);
		for (int i = 0; i < e->a->list.n; i++)
			scan_expr(S, e->a->list.items[i]);
		scan_expr(S, e->b);
		return;
	case AST_CALL:
		if (e->a->kind != AST_NAME) /* a function's name is not a value */
			scan_expr(S, e->a);
		for (int i = 0; i < e->list.n; i++)
			scan_expr(S, e->list.items[i]);
		return;
	default: break;
	}
	scan_expr(S, e->a);
	if (e->kind != AST_ATTR)
		scan_expr(S, e->b);
	scan_expr(S, e->c);
	for (int i = 0; i < e->list.n; i++)
		scan_expr(S, e->list.items[i]);
}

static void scan_stmts(Scan *S, const Stmt *ss, int n)
{
	for (int i = 0; i < n; i++) {
		const Stmt *s = &ss[i];
		switch (s->kind) {
		case STMT_ASSIGN:
			scan_expr(S, s->expr);
			for (int t = 0; t < s->ntargets; t++)
				if (!is_inner_var(S, s->targets[t]))
					nl_add(S->L, &S->assigned, s->targets[t], s->target_locs[t]);
			break;
		case STMT_FOR:
			scan_expr(S, s->expr);
			VEC_PUSH(S->L->A, S->inner, s->var);
			S->nbreak_loops++;
			scan_stmts(S, s->body.items, s->body.n);
			S->nbreak_loops--;
			S->inner.len--;
			break;
		case STMT_IF:
			scan_expr(S, s->expr);
			scan_stmts(S, s->body.items, s->body.n);
			scan_stmts(S, s->els.items, s->els.n);
			break;
		case STMT_BREAK:
			if (S->nbreak_loops == 0) {
				S->breaks = true;
				nl_add(S->L, &S->assigned, BRK, s->loc);
			}
			break;
		}
	}
}

static void scan_init(Scan *S, Lower *L, const char *var)
{
	memset(S, 0, sizeof *S);
	S->L = L;
	S->var = var;
}

/* Does this if break the loop it is in (not a loop inside it)? */
static bool may_break(const Stmt *ss, int n)
{
	for (int i = 0; i < n; i++) {
		if (ss[i].kind == STMT_BREAK)
			return true;
		if (ss[i].kind == STMT_IF &&
		    (may_break(ss[i].body.items, ss[i].body.n) || may_break(ss[i].els.items, ss[i].els.n)))
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------- bodies */

/* A name for an IR parameter (the reader reads identifiers back). */
static const char *param_name(Lower *L, const char *name)
{
	if (lw_is_ident(name))
		return name;
	if (strcmp(name, BRK) == 0)
		return "broke";
	/* @x[t+1] -> x_t1, @x[t-1] -> x_tm1 */
	Buf b;
	buf_init(&b, L->A);
	for (const char *p = name + 1; *p; p++) {
		if (*p == '[')
			buf_putc(&b, '_');
		else if (*p == '-')
			buf_putc(&b, 'm');
		else if ((*p >= '0' && *p <= '9') || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			buf_putc(&b, *p);
	}
	const char *s = buf_finish(&b, L->A);
	size_t n = strlen(s);
	if (n >= 2 && s[n - 1] == '0' && (s[n - 2] < '0' || s[n - 2] > '9')) /* x_t0 -> x_t */
		return arena_strndup(L->A, s, n - 1);
	return s;
}

/* Where a body is lowered: its function and scope, and what was there
 * before. */
typedef struct Body {
	Func *f;
	Scope *scope;
	Func *saved_f;
	Scope *saved_scope;
} Body;

static void body_open(Lower *L, Body *B, const char *name)
{
	B->saved_f = L->f;
	B->saved_scope = L->scope;
	B->f = ir_body_new(L->f, name);
	B->f->cur_stmt = -1; /* what the body makes before its first statement has no comment */
	Scope *s = arena_alloc(L->A, sizeof *s);
	s->fn = L->scope->fn;
	s->parent = L->scope;
	for (int i = 0; i < L->scope->dims.len; i++)
		VEC_PUSH(L->A, s->dims, L->scope->dims.data[i]);
	B->scope = s;
}

/* A parameter of the body standing for the outer value v (bound to `name`
 * inside); its type comes from the outer function. */
static void body_param(Lower *L, Body *B, const char *name, Val v, DType dt, int rank, const Dim **shape)
{
	int p = ir_param(B->f, param_name(L, name), dt, rank, shape, false);
	/* a weak integer (see weak_int) is a number again inside */
	Val in = v.weak && dtype_is_int(dt) ? lw_tensor(ir_cast(B->f, p, DT_F64), true) : lw_tensor(p, v.weak);
	Binding nb = {name, in};
	VEC_PUSH(L->A, B->scope->binds, nb);
}

static void body_enter(Lower *L, Body *B)
{
	L->f = B->f;
	L->scope = B->scope;
}

static void body_leave(Lower *L, Body *B)
{
	L->f = B->saved_f;
	L->scope = B->saved_scope;
}

/* A weak value whose elements are integers (the loop variable, t // 2, a
 * counter of literals) as an i64 value: it enters a body as an integer, so
 * that it stays one there (// and % take it); the body makes it a weak
 * number again. */
static Val weak_int(Lower *L, Val v)
{
	const Inst *in = lw_inst(L, v.id);
	int id =
	    in->op == OP_cast && dtype_is_int(lw_inst(L, in->args[0])->dt) ? in->args[0] : lw_as_dtype(L, v, DT_I64);
	return (Val){.kind = V_TENSOR, .id = id, .weak = true};
}

static bool is_weak_int(Lower *L, Val v)
{
	return v.weak && !dtype_is_int(lw_inst(L, v.id)->dt) && lw_weak_int(L, v.id);
}

/* The values the body reads from outside: the names of `read` bound to a
 * tensor here, except those in `skip`; others (none, errors) are bound in
 * the body as they are. */
typedef struct Captures {
	VEC(const char *) names;
	VEC(Val) vals;
} Captures;

static void capture(Lower *L, const NameList *read, const NameList *skip, const char *var, Captures *c, Scope *into)
{
	for (int i = 0; i < read->names.len; i++) {
		const char *n = read->names.data[i];
		if ((var && strcmp(n, var) == 0) || (skip && nl_find(skip, n) >= 0))
			continue;
		Binding *b = lw_lookup(L, n);
		if (!b)
			continue; /* a dimension, a function, or an error the body reports */
		if (b->val.kind == V_TENSOR) {
			VEC_PUSH(L->A, c->names, n);
			VEC_PUSH(L->A, c->vals, is_weak_int(L, b->val) ? weak_int(L, b->val) : b->val);
		} else {
			Binding nb = {n, b->val};
			VEC_PUSH(L->A, into->binds, nb);
		}
	}
}

static void gone_add(Lower *L, const char *name, Loc bound, Loc block, bool loop, const char *branch)
{
	if (!lw_is_ident(name))
		return;
	Gone g = {name, bound, block, loop, branch};
	VEC_PUSH(L->A, L->scope->gone, g);
}

bool lw_gone(Lower *L, const Ast *e)
{
	Scope *s = L->scope;
	for (int i = s->gone.len - 1; i >= 0; i--) {
		const Gone *g = &s->gone.data[i];
		if (strcmp(g->name, e->name) != 0)
			continue;
		if (g->loop)
			lw_err(L, e->loc,
			       "'%s' is local to the loop at %d:%d (bound in its body at %d:%d); bind it before the "
			       "loop to "
			       "use it after",
			       e->name, g->block.line, g->block.col, g->bound.line, g->bound.col);
		else
			lw_err(L, e->loc,
			       "'%s' is bound only in the %s branch of the if at %d:%d; bind it in every branch, or "
			       "before "
			       "the if",
			       e->name, g->branch, g->block.line, g->block.col);
		return true;
	}
	return false;
}

/* ---------------------------------------------------------------- derivatives inside bodies */

/* Which values of f the values outs depend on, differentiably, seen
 * through the bodies of control-flow ops: a result of a loop or cond
 * depends only on the operands that reach it in its bodies. */
static bool *reaches(const Func *f, const int *outs, int nout);

static int param_index(const Func *f, int v)
{
	const Inst *in = ir_inst(f, v);
	return in->op == OP_param ? (int)in->ints[0] : -1;
}

/* The operands of control-flow op c (in f) that its result k depends on. */
static bool *ctrl_reaches(const Func *f, const Inst *c, int k)
{
	bool *ops = arena_array(f->A, (size_t)c->nargs + 1, sizeof(bool));
	if (c->op == OP_cond) {
		for (int b = 0; b < c->nbodies; b++) {
			const Func *body = c->bodies[b];
			bool *r = reaches(body, &body->results.data[k].value, 1);
			for (int i = 0; i < body->params.len; i++)
				if (r[body->params.data[i]])
					ops[1 + i] = true;
		}
		return ops;
	}
	const Func *body = c->bodies[0];
	int ninv = (int)c->ints[LOOP_NINV], nc = (int)c->ints[LOOP_NCARRY];
	int off = c->ints[LOOP_FLAGS] & LF_BREAK ? 1 : 0;
	if (off + k >= body->results.len)
		return ops; /* the number of iterations: an integer */
	/* the carries whose value in some iteration is needed */
	bool *need = arena_array(f->A, (size_t)nc + 1, sizeof(bool));
	int *queue = arena_array(f->A, (size_t)nc + 1, sizeof(int)), nq = 0;
	int first = k;
	if (k < nc) {
		need[k] = true;
		queue[nq++] = k;
		first = -1;
	}
	for (int qi = -1; qi < nq; qi++) {
		int r_of = qi < 0 ? first : queue[qi];
		if (r_of < 0)
			continue;
		bool *r = reaches(body, &body->results.data[off + r_of].value, 1);
		for (int i = 1; i < body->params.len; i++) { /* parameter 0 is t */
			if (!r[body->params.data[i]])
				continue;
			int j = i - 1 - ninv;
			if (j >= 0 && j < nc) {
				if (!need[j]) {
					need[j] = true;
					queue[nq++] = j;
				}
			} else
				ops[i - 1] = true;
		}
	}
	for (int j = 0; j < nc; j++)
		if (need[j])
			ops[ninv + j] = true;
	return ops;
}

static bool *reaches(const Func *f, const int *outs, int nout)
{
	int n = f->ins.len;
	bool *reach = arena_array(f->A, (size_t)n + 1, sizeof(bool));
	for (int i = 0; i < nout; i++)
		reach[outs[i]] = true;
	for (int v = n - 1; v >= 0; v--) {
		if (!reach[v])
			continue;
		const Inst *in = ir_inst(f, v);
		const Inst *c = in->op == OP_extract ? ir_inst(f, in->args[0]) : NULL;
		if (c && (c->op == OP_loop || c->op == OP_cond)) {
			bool *ops = ctrl_reaches(f, c, (int)in->ints[0]);
			for (int k = 0; k < c->nargs; k++)
				if (ops[k])
					reach[c->args[k]] = true;
			continue;
		}
		for (int k = 0; k < in->nargs; k++)
			if (!ir_cuts_arg(f, in, k))
				reach[in->args[k]] = true;
	}
	return reach;
}

bool lw_body_grad_ok(Lower *L, const Ast *call, const int *outs, int nout, const int *ins, const Ast *const *in_ast,
                     int nin)
{
	Func *f = L->f;
	if (!f->is_body)
		return true;
	/* an input that is a parameter of the body: the outputs may depend on it
	 * through another parameter as well, by a path outside the body; asked
	 * when the body is complete */
	bool *dep = NULL;
	for (int i = 0; i < nin; i++) {
		const Inst *in = ir_inst(f, ins[i]);
		if (in->op != OP_param || dtype_is_int(in->dt))
			continue;
		if (!dep)
			dep = reaches(f, outs, nout);
		for (int k = 0; k < f->params.len; k++) {
			int p = f->params.data[k];
			if (p == ins[i] || !dep[p] || dtype_is_int(ir_inst(f, p)->dt))
				continue;
			const char *through = ir_inst(f, p)->name;
			BodyDep d = {
			    f, p, ins[i], call->loc, lw_text_of(L, in_ast[i]), through ? through : "another value"};
			VEC_PUSH(L->A, L->body_deps, d);
		}
	}
	return true;
}

/* What a body's parameters stand for in the function around it. */
typedef enum { BP_T, BP_INV, BP_CARRY, BP_ROW } BodyParamKind;
typedef struct BodySrc {
	const Func *f; /* the body */
	bool loop;
	BodyParamKind *kind; /* per parameter of the body */
	int *src;            /* the outer value it is in the first iteration (a row: the tensor of rows) */
	int *next;           /* a carry: the body's value for the next iteration */
} BodySrc;

static BodySrc body_src(Lower *L, const Func *body, bool loop)
{
	int n = body->params.len;
	BodySrc b = {body, loop, arena_array(L->A, (size_t)n + 1, sizeof(BodyParamKind)),
	             arena_array(L->A, (size_t)n + 1, sizeof(int)), arena_array(L->A, (size_t)n + 1, sizeof(int))};
	for (int k = 0; k < n; k++) {
		b.kind[k] = BP_INV;
		b.src[k] = b.next[k] = -1;
	}
	return b;
}

/* Whether value u of g may depend on value v of g (u = v included). Where
 * g is a body and v one of its parameters, a path may also run outside g,
 * from v to another parameter q that u depends on: those pairs (q, v) are
 * added to `later`, for the function around g to answer. */
static bool outer_depends(Lower *L, const Func *g, int u, int v, BodyDeps *later, const BodyDep *why)
{
	if (u < 0 || v < 0)
		return false;
	bool *anc = reaches(g, &u, 1);
	if (anc[v])
		return true;
	if (g->is_body && param_index(g, v) >= 0 && !dtype_is_int(ir_inst(g, v)->dt))
		for (int k = 0; k < g->params.len; k++) {
			int q = g->params.data[k];
			if (q != v && anc[q] && !dtype_is_int(ir_inst(g, q)->dt)) {
				BodyDep d = *why;
				d.f = g;
				d.x = q;
				d.y = v;
				VEC_PUSH(L->A, *later, d);
			}
		}
	return false;
}

/* Whether parameter x of the body may depend on parameter y in some
 * iteration: in the first, through the outer values they stand for; in a
 * later one (x a carry), through the body's values of the iteration before. */
static bool param_depends(Lower *L, const BodySrc *B, const Func *g, const BodyDep *d, BodyDeps *later)
{
	const Func *f = B->f;
	int n = f->params.len;
	bool *seen = arena_array(L->A, (size_t)n * (size_t)n + 1, sizeof(bool));
	VEC(int) work = {0};
	VEC_PUSH(L->A, work, param_index(f, d->x) * n + param_index(f, d->y));
	while (work.len) {
		int pair = work.data[--work.len];
		if (seen[pair])
			continue;
		seen[pair] = true;
		int a = pair / n, b = pair % n;
		if (a == b)
			return true;
		if (outer_depends(L, g, B->src[a], B->src[b], later, d))
			return true;
		if (!B->loop || B->kind[a] != BP_CARRY)
			continue;
		bool *anc = reaches(f, &B->next[a], 1);
		int v;
		if (B->kind[b] == BP_CARRY)
			v = B->next[b];
		else if (B->kind[b] == BP_INV)
			v = f->params.data[b];
		else if (B->kind[b] == BP_ROW) {
			/* a row of a later iteration: the body may have read it as
			 * another row (x[t + 1]) */
			for (int k = 0; k < n; k++)
				if (B->kind[k] == BP_ROW && anc[f->params.data[k]])
					return true;
			continue;
		} else
			continue;
		if (anc[v])
			return true;
		int pv = param_index(f, v);
		if (pv < 0)
			continue;
		for (int k = 0; k < n; k++) {
			int q = f->params.data[k];
			if (k != pv && anc[q] && !dtype_is_int(ir_inst(f, q)->dt))
				VEC_PUSH(L->A, work, k * n + pv);
		}
	}
	return false;
}

/* The questions the derivatives in body B asked, answered now that its op
 * is in g (L->f): an error where a path may leave the body, or questions
 * about g's parameters for the op around g. */
static bool loc_in(const Loc *locs, int n, Loc l)
{
	for (int i = 0; i < n; i++)
		if (locs[i].line == l.line && locs[i].col == l.col)
			return true;
	return false;
}

static void body_deps_resolve(Lower *L, const BodySrc *B)
{
	const Func *g = L->f;
	BodyDeps later = {0};
	int keep = 0;
	for (int i = 0; i < L->body_deps.len; i++) {
		BodyDep d = L->body_deps.data[i];
		if (d.f != B->f) {
			L->body_deps.data[keep++] = d;
			continue;
		}
		if (loc_in(L->deps_failed.data, L->deps_failed.len, d.loc) || !param_depends(L, B, g, &d, &later))
			continue;
		VEC_PUSH(L->A, L->deps_failed, d.loc);
		lw_err(L, d.loc,
		       "a derivative inside a loop or if sees one iteration or branch: the output depends on '%s', "
		       "which may depend on '%s' by a path outside the body (before it, or in an earlier "
		       "iteration); "
		       "take it after the loop or if, or with respect to a value the body computes",
		       d.through, d.wrt);
	}
	L->body_deps.len = keep;
	for (int i = 0; i < later.len; i++)
		if (!loc_in(L->deps_failed.data, L->deps_failed.len, later.data[i].loc))
			VEC_PUSH(L->A, L->body_deps, later.data[i]);
}

bool lw_unused(Lower *L, Loc site, Loc loc, const char *msg)
{
	for (int i = 0; i < L->body_deps.len; i++) {
		Loc l = L->body_deps.data[i].loc;
		if (l.line == site.line && l.col == site.col) {
			Unused u = {site, loc, msg};
			VEC_PUSH(L->A, L->unused, u);
			return true;
		}
	}
	lw_err(L, loc, "%s", msg);
	return false;
}

void lw_body_deps_finish(Lower *L)
{
	for (int i = 0; i < L->unused.len; i++) {
		const Unused *u = &L->unused.data[i];
		if (!loc_in(L->deps_failed.data, L->deps_failed.len, u->site))
			lw_err(L, u->loc, "%s", u->msg);
	}
	L->unused.len = L->deps_failed.len = L->body_deps.len = 0;
}

/* Forgets the questions of a body that was lowered again. */
static void body_deps_drop(Lower *L, const Func *body)
{
	int keep = 0;
	for (int i = 0; i < L->body_deps.len; i++)
		if (L->body_deps.data[i].f != body)
			L->body_deps.data[keep++] = L->body_deps.data[i];
	L->body_deps.len = keep;
}

bool lw_not_in_body(Lower *L, Loc loc, const char *what)
{
	if (!L->f->is_body)
		return true;
	lw_err(L, loc, "%s inside a loop or if is not supported; use grad, or take it after the loop or if", what);
	return false;
}

/* ---------------------------------------------------------------- range(...) */

#define LOOP_WHEN ", known when the loop starts"

typedef struct Range {
	const Dim *start, *stop, *trip;
	int64_t step;
	int checkpoint; /* 0: none; K; -1: near sqrt(T) */
} Range;

static bool parse_range(Lower *L, const Ast *e, Range *r)
{
	if (e->kind != AST_CALL || e->a->kind != AST_NAME || strcmp(e->a->name, "range") != 0) {
		lw_err(L, e->loc, "a for loop runs over range(...), not '%s'", lw_text_of(L, e));
		return false;
	}
	const Ast *pos[3];
	int npos = 0;
	r->checkpoint = 0;
	bool ok = true;
	for (int i = 0; i < e->list.n; i++) {
		const Ast *a = e->list.items[i];
		const char *kw = e->list.kw[i];
		if (!kw) {
			if (npos == 3) {
				lw_err(L, a->loc, "range takes at most 3 bounds (start, stop, step)");
				return false;
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(kw, "checkpoint") != 0) {
			lw_err(L, e->list.kwloc[i],
			       "range has no argument '%s' (it takes start, stop, step and checkpoint)", kw);
			ok = false;
			continue;
		}
		if (a->kind == AST_BOOL) {
			r->checkpoint = a->bval ? -1 : 0;
		} else if (a->kind == AST_NUM && a->is_int && a->num >= 1 && a->num <= 1e15) {
			r->checkpoint = a->num > 1 << 30 ? 1 << 30 : (int)a->num;
		} else {
			lw_err(L, a->loc, "checkpoint must be a positive integer literal or true, not '%s'",
			       lw_text_of(L, a));
			ok = false;
		}
	}
	if (!ok)
		return false;
	if (npos == 0) {
		lw_err(L, e->loc, "range needs a stop: range(STOP), range(START, STOP) or range(START, STOP, STEP)");
		return false;
	}
	const Ast *sa = npos >= 2 ? pos[0] : NULL, *ta = npos >= 2 ? pos[1] : pos[0];
	r->start = sa ? lw_dim_expr(L, sa, "a loop bound", LOOP_WHEN) : dim_const(L->dc, 0);
	r->stop = lw_dim_expr(L, ta, "a loop bound", LOOP_WHEN);
	r->step = 1;
	if (npos == 3) {
		const Ast *st = pos[2];
		bool neg = st->kind == AST_NEG;
		const Ast *num = neg ? st->a : st;
		if (num->kind != AST_NUM || !num->is_int || num->num > 4.6e18 || num->num == 0) {
			lw_err(L, st->loc, "the step of range must be a nonzero integer literal, not '%s'",
			       lw_text_of(L, st));
			return false;
		}
		r->step = neg ? -(int64_t)num->num : (int64_t)num->num;
	}
	if (!r->start || !r->stop)
		return false;
	r->trip = ir_trip_count(L->dc, r->start, r->stop, r->step);
	int64_t t;
	if (dim_is_const(r->trip, &t) && t > ((int64_t)1 << 48)) {
		lw_err(L, e->loc, "the loop runs %lld times; the limit is 2^48", (long long)t);
		return false;
	}
	if (dim_overflowed(L->dc)) {
		dim_clear_overflow(L->dc);
		lw_err(L, e->loc, "the bounds of range are too large");
		return false;
	}
	return true;
}

/* ---------------------------------------------------------------- rows: x[t] */

bool lw_loop_var_index(Lower *L, const Ast *e)
{
	int64_t off;
	for (int k = 0; k < e->list.n; k++)
		if (e->list.items[k] && loop_var_of(L, e->list.items[k], NULL, &off))
			return true;
	return false;
}

int lw_loop_row(Lower *L, const Ast *e, Val *row)
{
	if (e->a->kind != AST_NAME || e->list.n < 1 || !e->list.items[0])
		return 0;
	/* the longest prefix of loop-variable indices that has a row bound */
	const char *key = e->a->name;
	int got = 0;
	Val v = ERR;
	for (int k = 0; k < e->list.n && e->list.items[k]; k++) {
		int64_t off;
		const char *w = loop_var_of(L, e->list.items[k], NULL, &off);
		if (!w)
			break;
		key = row_key(L, key, w, off);
		Binding *b = lw_lookup(L, key);
		if (!b)
			continue; /* a body may have been given only the longer prefix */
		if (b->val.kind != V_TENSOR)
			return -1; /* reported where the loop began */
		v = b->val;
		got = k + 1;
	}
	if (!got) {
		int64_t off;
		if (loop_var_of(L, e->list.items[0], NULL, &off)) {
			lw_err(L, e->loc, "'%s' cannot be read by rows here", lw_text_of(L, e));
			return -1;
		}
		return 0;
	}
	*row = v;
	return got;
}

/* A row's hidden name as the program wrote it: @@X[i+0][j+1] -> X[i][j+1]. */
static const char *shown(Lower *L, const char *name)
{
	Buf b;
	buf_init(&b, L->A);
	for (const char *p = name; *p; p++) {
		if (*p == '@' || (p[0] == '+' && p[1] == '0' && p[2] == ']'))
			continue;
		if (p[0] == '0' && p[-1] == '+' && p[1] == ']')
			continue;
		buf_putc(&b, *p);
	}
	return buf_finish(&b, L->A);
}

static const char *dim_text(Lower *L, const Dim *d)
{
	Buf b;
	buf_init(&b, L->A);
	dim_print(&b, d);
	return buf_finish(&b, L->A);
}

/* The stack of rows x[start + off :: step] (trip-count rows) that the loop
 * reads as x[t + off]; checks that they lie inside x. */
static int row_stack(Lower *L, const RowRef *r, Val x, const Range *R)
{
	const Inst *in = lw_inst(L, x.id);
	DimCtx *dc = L->dc;
	const Dim *n = in->shape[0], *first = dim_add(dc, R->start, dim_const(dc, r->off));
	const Dim *runs = ir_trip_count_if_runs(dc, R->start, R->stop, R->step);
	const Dim *last = dim_add(dc, first, dim_mul(dc, dim_sub(dc, runs, dim_const(dc, 1)), dim_const(dc, R->step)));
	const char *what =
	    arena_printf(L->A, "%s reads rows %s to %s of '%s', which has %s rows", lw_text_of(L, r->index),
	                 dim_text(L, first), dim_text(L, last), shown(L, r->name), dim_text(L, n));
	const Dim *lo = R->step > 0 ? first : last, *hi = R->step > 0 ? last : first;
	/* (only where the loop runs: an empty range reads no row) */
	if (!lw_require_ge0_if(L, r->loc, lo, runs, what) ||
	    !lw_require_ge0_if(L, r->loc, dim_sub(dc, dim_sub(dc, n, dim_const(dc, 1)), hi), runs, what))
		return -1;
	const Dim *starts[IR_MAX_RANK], *lens[IR_MAX_RANK];
	int64_t steps[IR_MAX_RANK];
	for (int k = 0; k < in->rank; k++) {
		starts[k] = dim_const(dc, 0);
		steps[k] = 1;
		lens[k] = in->shape[k];
	}
	starts[0] = first;
	steps[0] = R->step;
	lens[0] = R->trip; /* 0 for an empty constant range */
	return ir_slice(L->f, x.id, starts, steps, lens);
}

/* ---------------------------------------------------------------- for */

static void lower_for(Lower *L, const Stmt *s)
{
	lw_stmt_begin(L, s);
	Range R = {NULL, NULL, NULL, 1, 0};
	Scan S;
	scan_init(&S, L, s->var);
	scan_stmts(&S, s->body.items, s->body.n);
	bool ok = parse_range(L, s->expr, &R);
	if (ok && L->loops >= AST_MAX_LOOPS) {
		lw_err(L, s->loc, "loops are nested more than %d deep", AST_MAX_LOOPS);
		ok = false;
	}
	int vi = nl_find(&S.assigned, s->var);
	if (vi >= 0) {
		lw_err(L, S.assigned.locs.data[vi], "the loop variable '%s' cannot be assigned in the loop", s->var);
		ok = false;
	}
	/* the carries: names bound before the loop that the body rebinds */
	VEC(const char *) cn = {0};
	VEC(Val) cv = {0};
	for (int i = 0; ok && i < S.assigned.names.len; i++) {
		const char *n = S.assigned.names.data[i];
		Binding *b = lw_lookup(L, n);
		if (!b)
			continue;
		if (b->val.kind == V_TENSOR) {
			VEC_PUSH(L->A, cn, n);
			VEC_PUSH(L->A, cv, b->val);
		} else if (b->val.kind == V_NONE && lw_is_ident(n)) {
			lw_err(L, S.assigned.locs.data[i],
			       "'%s' is none before the loop; a value a loop carries must be a tensor", n);
			ok = false;
		} else if (b->val.kind != V_ERR) {
			lw_err(L, S.assigned.locs.data[i], "'%s' is not a tensor; a loop can carry only tensors", n);
			ok = false;
		}
	}
	if (!ok) {
		for (int i = 0; i < cn.len; i++)
			lw_bind(L, cn.data[i], ERR);
		return;
	}
	if (S.breaks) {
		/* the flag starts at 0 in every iteration: not a carry */
		for (int i = 0; i < cn.len; i++)
			if (strcmp(cn.data[i], BRK) == 0)
				cn.data[i] = NULL;
	}
	int nc = 0;
	for (int i = 0; i < cn.len; i++)
		if (cn.data[i]) {
			cn.data[nc] = cn.data[i];
			cv.data[nc++] = cv.data[i];
		}
	cn.len = cv.len = nc;
	/* the stacks of rows, read in the outer function */
	int nrows = S.rows.len;
	int *stacks = arena_array(L->A, (size_t)nrows + 1, sizeof(int));
	Val *row_src = arena_array(L->A, (size_t)nrows + 1, sizeof(Val));
	for (int i = 0; i < nrows; i++) {
		const RowRef *r = &S.rows.data[i];
		Binding *b = lw_lookup(L, r->name);
		stacks[i] = -1;
		if (!b || b->val.kind != V_TENSOR || nl_find(&S.assigned, r->name) >= 0) {
			if (!b || b->val.kind != V_ERR)
				lw_err(L, r->loc,
				       "%s: a tensor read by rows of the loop variable must be bound before the loop "
				       "and not "
				       "changed in it",
				       lw_text_of(L, r->index));
			continue;
		}
		const Inst *in = lw_inst(L, b->val.id);
		if (in->rank == 0) {
			lw_err(L, r->loc, "%s: '%s' is a scalar, it has no rows", lw_text_of(L, r->index),
			       shown(L, r->name));
			continue;
		}
		row_src[i] = b->val;
		stacks[i] = row_stack(L, r, b->val, &R);
	}
	/* the carries' types: as before the loop, or (a literal before it) as the
	 * body makes them, found by lowering the body once and again */
	DType *forced = arena_array(L->A, (size_t)nc + 1, sizeof(DType));
	bool *force = arena_array(L->A, (size_t)nc + 1, sizeof(bool));
	/* a weak integer before the loop (a counter from 0) is carried as an
	 * i64 while the body keeps it one (else as a number) */
	bool *wint = arena_array(L->A, (size_t)nc + 1, sizeof(bool));
	bool *no_wint = arena_array(L->A, (size_t)nc + 1, sizeof(bool));
	int errors = L->d->nerrors;
	for (int attempt = 0; attempt < 2; attempt++) {
		Captures caps = {0};
		Body B;
		body_open(L, &B, arena_printf(L->A, "for_%s", s->var));
		capture(L, &S.read, &S.assigned, s->var, &caps, B.scope);
		/* the parameters: t, the invariants, the carries, the rows */
		int tp = ir_param(B.f, s->var, DT_I64, 0, NULL, false);
		for (int i = 0; i < caps.names.len; i++) {
			const Inst *in = lw_inst(L, caps.vals.data[i].id);
			body_param(L, &B, caps.names.data[i], caps.vals.data[i], in->dt, in->rank, in->shape);
		}
		int *init = arena_array(L->A, (size_t)nc + 1, sizeof(int));
		for (int i = 0; i < nc; i++) {
			Val v = cv.data[i];
			wint[i] = false;
			if (force[i]) {
				v.id = lw_as_dtype(L, v, forced[i]);
				v.weak = false;
			} else if (!no_wint[i] && is_weak_int(L, v)) {
				v = weak_int(L, v);
				wint[i] = true;
			}
			init[i] = v.id;
			const Inst *in = lw_inst(L, v.id);
			body_param(L, &B, cn.data[i], v, in->dt, in->rank, in->shape);
		}
		int nxs = 0;
		int *xs = arena_array(L->A, (size_t)nrows + 1, sizeof(int));
		int *xsrc = arena_array(L->A, (size_t)nrows + 1, sizeof(int));
		for (int i = 0; i < nrows; i++) {
			const RowRef *r = &S.rows.data[i];
			const char *key = row_key(L, r->name, s->var, r->off);
			if (stacks[i] < 0) {
				Binding nb = {key, ERR};
				VEC_PUSH(L->A, B.scope->binds, nb);
				continue;
			}
			const Inst *in = lw_inst(L, row_src[i].id);
			xs[nxs++] = stacks[i];
			body_param(L, &B, key, row_src[i], in->dt, in->rank - 1, in->shape + 1);
			xsrc[nxs - 1] = row_src[i].id;
		}
		/* the body */
		body_enter(L, &B);
		LoopCtx ctx = {L->loop, s->var, s->loc, 0, S.breaks};
		L->loop = &ctx;
		L->loops++;
		Binding tb = {s->var, lw_tensor(ir_cast(B.f, tp, DT_F64), true)}; /* t as a weak number */
		VEC_PUSH(L->A, B.scope->binds, tb);
		if (S.breaks)
			lw_bind(L, BRK, lw_tensor(ir_scalar(B.f, DT_F64, 0), false));
		lw_stmts(L, s->body.items, s->body.n);
		L->loops--;
		L->loop = ctx.outer;
		/* its results: the flag, the next carries */
		bool retry = false, bad = L->d->nerrors > errors;
		VEC(FuncResult) res = {0};
		if (S.breaks && !bad) {
			Binding *b = lw_lookup(L, BRK);
			int id = b && b->val.kind == V_TENSOR ? b->val.id : ir_scalar(B.f, DT_F64, 0);
			FuncResult fr = {"broke", id, DT_F64, 0, NULL};
			VEC_PUSH(L->A, res, fr);
		}
		bool *weak_out = arena_array(L->A, (size_t)nc + 1, sizeof(bool));
		for (int i = 0; i < nc && !bad; i++) {
			Binding *b = lw_lookup(L, cn.data[i]);
			const Inst *p = ir_inst(B.f, B.f->params.data[1 + caps.names.len + i]);
			Val v = b->val;
			if (v.kind != V_TENSOR) {
				if (v.kind != V_ERR)
					lw_err(L, s->loc, "'%s' is carried by the loop but the body makes it %s",
					       cn.data[i], v.kind == V_NONE ? "none" : "not a tensor");
				bad = true;
				break;
			}
			const Inst *in = lw_inst(L, v.id);
			bool was_weak = cv.data[i].weak && !force[i];
			if (!ir_same_shape(p, in) || (!v.weak && !was_weak && in->dt != p->dt)) {
				lw_err(L, S.assigned.locs.data[nl_find(&S.assigned, cn.data[i])],
				       "'%s' is carried by the loop: it is %s before the body and %s after it; a "
				       "carried value "
				       "keeps its dtype and shape",
				       cn.data[i], lw_type_text(L, p->dt, p->rank, p->shape, was_weak),
				       lw_type_text(L, in->dt, in->rank, in->shape, v.weak));
				bad = true;
				break;
			}
			if (was_weak && !v.weak) {
				/* a literal before the loop: the body decides the type */
				force[i] = true;
				forced[i] = in->dt;
				retry = true;
			}
			int id = v.weak && !was_weak ? lw_as_dtype(L, v, p->dt) : v.id;
			if (wint[i] && v.weak) {
				if (lw_weak_int(L, v.id))
					id = weak_int(L, v).id;
				else { /* the body makes it a number that may not be an integer */
					no_wint[i] = true;
					retry = true;
				}
			}
			weak_out[i] = v.weak && was_weak;
			FuncResult fr = {param_name(L, cn.data[i]), id, p->dt, p->rank, p->shape};
			VEC_PUSH(L->A, res, fr);
		}
		for (int i = 0; i < res.len; i++)
			VEC_PUSH(L->A, B.f->results, res.data[i]);
		/* names first bound in the body are its own */
		NameList locals = {0};
		for (int i = 0; i < S.assigned.names.len; i++) {
			const char *n = S.assigned.names.data[i];
			bool carried = false;
			for (int k = 0; k < nc && !carried; k++)
				carried = strcmp(cn.data[k], n) == 0;
			if (!carried && strcmp(n, BRK) != 0)
				nl_add(L, &locals, n, S.assigned.locs.data[i]);
		}
		body_leave(L, &B);
		if (bad) {
			for (int i = 0; i < nc; i++)
				lw_bind(L, cn.data[i], ERR);
			return;
		}
		if (retry && attempt == 0) {
			body_deps_drop(L, B.f);
			continue;
		}
		int *inv = arena_array(L->A, (size_t)caps.vals.len + 1, sizeof(int));
		for (int i = 0; i < caps.vals.len; i++)
			inv[i] = caps.vals.data[i].id;
		int loop = ir_loop(L->f, R.start, R.stop, R.step, S.breaks ? LF_BREAK : 0, R.checkpoint, inv,
		                   caps.vals.len, init, nc, xs, nxs, B.f);
		BodySrc bs = body_src(L, B.f, true);
		bs.kind[0] = BP_T;
		for (int i = 0; i < caps.vals.len; i++)
			bs.src[1 + i] = inv[i];
		for (int i = 0; i < nc; i++) {
			int k = 1 + caps.vals.len + i;
			bs.kind[k] = BP_CARRY;
			bs.src[k] = init[i];
			bs.next[k] = B.f->results.data[(S.breaks ? 1 : 0) + i].value;
		}
		for (int i = 0; i < nxs; i++) {
			int k = 1 + caps.vals.len + nc + i;
			bs.kind[k] = BP_ROW;
			bs.src[k] = xsrc[i];
		}
		body_deps_resolve(L, &bs);
		for (int i = 0; i < nc; i++) {
			int e = ir_extract(L->f, loop, i);
			if (wint[i] && weak_out[i])
				e = ir_cast(L->f, e, DT_F64);
			lw_bind(L, cn.data[i], lw_tensor(e, weak_out[i]));
		}
		for (int i = 0; i < locals.names.len; i++)
			if (!lw_lookup(L, locals.names.data[i]))
				gone_add(L, locals.names.data[i], locals.locs.data[i], s->loc, true, NULL);
		return;
	}
}

/* ---------------------------------------------------------------- if */

static void lower_if(Lower *L, const Stmt *s)
{
	lw_stmt_begin(L, s);
	Val c = lw_want(L, s->expr);
	Scan St, Se;
	scan_init(&St, L, NULL);
	scan_init(&Se, L, NULL);
	scan_stmts(&St, s->body.items, s->body.n);
	scan_stmts(&Se, s->els.items, s->els.n);
	/* the names bound after the if: bound before it, or in both branches */
	NameList out = {0}, read = {0};
	for (int k = 0; k < 2; k++) {
		const NameList *a = k ? &Se.assigned : &St.assigned, *other = k ? &St.assigned : &Se.assigned;
		for (int i = 0; i < a->names.len; i++) {
			const char *n = a->names.data[i];
			Binding *b = lw_lookup(L, n);
			if ((b && b->val.kind == V_TENSOR) || nl_find(other, n) >= 0)
				nl_add(L, &out, n, a->locs.data[i]);
			else if (!b && lw_is_ident(n))
				gone_add(L, n, a->locs.data[i], s->loc, false, k ? "else" : "then");
		}
	}
	for (int k = 0; k < 2; k++) {
		const NameList *r = k ? &Se.read : &St.read;
		for (int i = 0; i < r->names.len; i++)
			nl_add(L, &read, r->names.data[i], r->locs.data[i]);
	}
	for (int i = 0; i < out.names.len; i++) /* kept as they were by a branch that does not bind them */
		nl_add(L, &read, out.names.data[i], out.locs.data[i]);
	if (c.kind != V_TENSOR) {
		if (c.kind != V_ERR)
			lw_err(L, s->expr->loc, "the condition of an if must be a tensor, not '%s'",
			       lw_text_of(L, s->expr));
		for (int i = 0; i < out.names.len; i++)
			lw_bind(L, out.names.data[i], ERR);
		return;
	}
	if (lw_inst(L, c.id)->rank != 0) {
		lw_err(L, s->expr->loc, "the condition of an if must be a rank-0 value; '%s' is %s",
		       lw_text_of(L, s->expr), lw_type_str(L, c));
		for (int i = 0; i < out.names.len; i++)
			lw_bind(L, out.names.data[i], ERR);
		return;
	}
	int pred = c.weak ? lw_as_dtype(L, c, DT_F64) : c.id;
	Captures caps = {0};
	Body B[2];
	int errors = L->d->nerrors;
	int nout = out.names.len;
	Val *rv[2];
	for (int k = 0; k < 2; k++) {
		body_open(L, &B[k], k ? "else" : "then");
		if (k == 0)
			capture(L, &read, NULL, NULL, &caps, B[k].scope);
		else
			for (int i = 0; i < B[0].scope->binds.len; i++) /* the non-tensor ones */
				if (B[0].scope->binds.data[i].val.kind != V_TENSOR)
					VEC_PUSH(L->A, B[k].scope->binds, B[0].scope->binds.data[i]);
		for (int i = 0; i < caps.names.len; i++) {
			const Inst *in = lw_inst(L, caps.vals.data[i].id);
			body_param(L, &B[k], caps.names.data[i], caps.vals.data[i], in->dt, in->rank, in->shape);
		}
		body_enter(L, &B[k]);
		if (L->loop)
			L->loop->ifs++;
		if (k == 0)
			lw_stmts(L, s->body.items, s->body.n);
		else
			lw_stmts(L, s->els.items, s->els.n);
		if (L->loop)
			L->loop->ifs--;
		rv[k] = arena_array(L->A, (size_t)nout + 1, sizeof(Val));
		for (int i = 0; i < nout; i++) {
			Binding *b = lw_lookup(L, out.names.data[i]);
			rv[k][i] = b ? b->val : ERR;
		}
		body_leave(L, &B[k]);
	}
	bool bad = L->d->nerrors > errors;
	/* one type per name: a literal takes the other branch's dtype */
	DType *dt = arena_array(L->A, (size_t)nout + 1, sizeof(DType));
	bool *weak = arena_array(L->A, (size_t)nout + 1, sizeof(bool));
	for (int i = 0; i < nout && !bad; i++) {
		const char *n = out.names.data[i];
		Val a = rv[0][i], b = rv[1][i];
		if (a.kind != V_TENSOR || b.kind != V_TENSOR) {
			if (a.kind != V_ERR && b.kind != V_ERR)
				lw_err(L, out.locs.data[i],
				       "'%s' is bound after the if, so both branches must make it a tensor", n);
			bad = true;
			break;
		}
		const Inst *ia = ir_inst(B[0].f, a.id), *ib = ir_inst(B[1].f, b.id);
		if (!ir_same_shape(ia, ib) || (!a.weak && !b.weak && ia->dt != ib->dt)) {
			lw_err(L, out.locs.data[i],
			       "'%s' is %s in the then branch and %s in the else branch; both must give one dtype and "
			       "shape",
			       n, lw_type_text(L, ia->dt, ia->rank, ia->shape, a.weak),
			       lw_type_text(L, ib->dt, ib->rank, ib->shape, b.weak));
			bad = true;
			break;
		}
		weak[i] = a.weak && b.weak;
		dt[i] = !a.weak ? ia->dt : !b.weak ? ib->dt : DT_F64;
	}
	if (bad) {
		for (int i = 0; i < nout; i++)
			lw_bind(L, out.names.data[i], ERR);
		return;
	}
	/* weak integers in both branches stay integers (a counter) */
	bool *wint = arena_array(L->A, (size_t)nout + 1, sizeof(bool));
	for (int i = 0; i < nout; i++) {
		wint[i] = weak[i];
		for (int k = 0; k < 2 && wint[i]; k++) {
			body_enter(L, &B[k]);
			wint[i] = is_weak_int(L, rv[k][i]);
			body_leave(L, &B[k]);
		}
	}
	for (int k = 0; k < 2; k++) {
		body_enter(L, &B[k]);
		for (int i = 0; i < nout; i++) {
			Val v = rv[k][i];
			int id = wint[i] ? weak_int(L, v).id : v.weak && !weak[i] ? lw_as_dtype(L, v, dt[i]) : v.id;
			const Inst *in = ir_inst(B[k].f, id);
			FuncResult fr = {param_name(L, out.names.data[i]), id, in->dt, in->rank, in->shape};
			VEC_PUSH(L->A, B[k].f->results, fr);
		}
		body_leave(L, &B[k]);
	}
	int *ops = arena_array(L->A, (size_t)caps.vals.len + 1, sizeof(int));
	for (int i = 0; i < caps.vals.len; i++)
		ops[i] = caps.vals.data[i].id;
	int cond = ir_cond(L->f, pred, ops, caps.vals.len, B[0].f, B[1].f);
	for (int k = 0; k < 2; k++) {
		BodySrc bs = body_src(L, B[k].f, false);
		for (int i = 0; i < caps.vals.len; i++)
			bs.src[i] = ops[i];
		body_deps_resolve(L, &bs);
	}
	for (int i = 0; i < nout; i++) {
		int e = ir_extract(L->f, cond, i);
		lw_bind(L, out.names.data[i], lw_tensor(wint[i] ? ir_cast(L->f, e, DT_F64) : e, weak[i]));
	}
}

/* ---------------------------------------------------------------- statement lists, break */

/* The statements after an if that may break: they run only if it did not. */
static void lower_rest(Lower *L, const Stmt *rest, int n)
{
	Stmt s;
	memset(&s, 0, sizeof s);
	s.kind = STMT_IF;
	s.loc = rest[0].loc;
	s.last_line = rest[0].last_line;
	Ast *flag = ast_new(L->A, AST_NAME, rest[0].loc);
	flag->name = BRK;
	s.expr = flag;
	s.els.items = (Stmt *)rest;
	s.els.n = n;
	s.has_else = true;
	lower_if(L, &s);
}

void lw_stmts(Lower *L, const Stmt *ss, int n)
{
	for (int i = 0; i < n && !L->too_big; i++) {
		const Stmt *s = &ss[i];
		switch (s->kind) {
		case STMT_ASSIGN: lw_assign(L, s); break;
		case STMT_FOR: lower_for(L, s); break;
		case STMT_IF: lower_if(L, s); break;
		case STMT_BREAK:
			lw_stmt_begin(L, s);
			if (!L->loop)
				lw_err(L, s->loc, "'break' outside a loop");
			else if (L->loop->ifs == 0)
				lw_err(L, s->loc, "'break' must be inside an if: `if CONDITION { break }`");
			else if (i + 1 < n)
				lw_err(L, ss[i + 1].loc,
				       "nothing may follow 'break' in its block (it would never run)");
			else
				lw_bind(L, BRK, lw_tensor(ir_scalar(L->f, DT_F64, 1), false));
			return;
		}
		if (s->kind == STMT_IF && i + 1 < n && L->loop && L->loop->breaks && may_break(s, 1)) {
			lower_rest(L, &ss[i + 1], n - i - 1);
			return;
		}
	}
}
