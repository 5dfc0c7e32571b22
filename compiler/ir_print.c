/* ir_print.c: the IR as text (--emit=ir, --emit=ir-opt, golden tests). */
#include "ir.h"

#include <inttypes.h>

void ir_print_shape(Buf *b, int rank, const Dim **shape)
{
	buf_puts(b, "[");
	for (int i = 0; i < rank; i++) {
		if (i)
			buf_puts(b, ", ");
		dim_print(b, shape[i]);
	}
	buf_puts(b, "]");
}

void ir_print_type(Buf *b, DType dt, int rank, const Dim **shape)
{
	buf_puts(b, dtype_name(dt));
	if (rank > 0)
		ir_print_shape(b, rank, shape);
}

/* The shortest text that reads back as v: for an f32 (the elements of an
 * f32 constant, the start and step of an f32 arange, which are f32 numbers
 * by construction) the shortest that reads back as that float. ir_read
 * rounds what it reads to f32 in the same places. */
static void print_num(Buf *b, double v, bool f32)
{
	char s[40];
	fmt_shortest(s, sizeof s, v, f32);
	buf_puts(b, s);
}

static void print_ints(Buf *b, const char *label, const int64_t *v, int n)
{
	buf_printf(b, " %s=[", label);
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s%" PRId64, i ? ", " : "", v[i]);
	buf_puts(b, "]");
}

static void print_attrs(Buf *b, const Inst *in)
{
	switch (in->op) {
	case OP_param: buf_printf(b, " %s%s", in->name, in->flags & IF_NOGRAD ? " nograd" : ""); break;
	case OP_const:
		if (in->rank == 0) {
			buf_puts(b, " ");
			print_num(b, in->nums[0], in->dt == DT_F32);
			break;
		}
		buf_puts(b, " [");
		for (int64_t i = 0; i < in->nnums; i++) {
			if (i)
				buf_puts(b, ", ");
			print_num(b, in->nums[i], in->dt == DT_F32);
		}
		buf_puts(b, "]");
		break;
	case OP_iota: {
		/* linspace's ends are f64 numbers even for an f32 result (NumPy computes in f64) */
		bool lin = in->flags & IF_LINSPACE, f32 = in->dt == DT_F32 && !lin;
		buf_puts(b, lin ? " linspace " : " start=");
		print_num(b, in->nums[0], f32);
		buf_puts(b, lin ? " " : " delta=");
		print_num(b, lin ? in->nums[2] : in->nums[1], f32);
		break;
	}
	case OP_dimval:
		buf_puts(b, " ");
		dim_print(b, in->dims[0]);
		break;
	case OP_sum:
	case OP_max:
	case OP_min:
	case OP_prod:
	case OP_norm:
	case OP_argmax:
	case OP_argmin: print_ints(b, "axes", in->ints, in->nints); break;
	case OP_transpose: print_ints(b, "perm", in->ints, in->nints); break;
	case OP_slice:
	case OP_unslice:
		buf_puts(b, " start=");
		ir_print_shape(b, in->ndims, in->dims);
		print_ints(b, "step", in->ints, in->nints);
		break;
	case OP_concat:
	case OP_cumsum:
	case OP_linrec:
	case OP_gather:
	case OP_scatter_add:
	case OP_scatter_set:
	case OP_scatter_max: buf_printf(b, " axis=%" PRId64, in->ints[0]); break;
	case OP_solve:
		if (in->ints[0])
			buf_puts(b, " trans");
		break;
	case OP_trisolve:
		buf_puts(b, in->ints[0] ? " lower" : " upper");
		if (in->ints[1])
			buf_puts(b, " trans");
		if (in->ints[2])
			buf_puts(b, " unit");
		break;
	case OP_matmul:
		if (in->ints[0])
			buf_puts(b, " ta");
		if (in->ints[1])
			buf_puts(b, " tb");
		break;
	case OP_loop:
		buf_puts(b, " range(");
		dim_print(b, in->dims[0]);
		buf_puts(b, ", ");
		dim_print(b, in->dims[1]);
		buf_printf(b, ", %" PRId64 ") inv=%" PRId64 " carry=%" PRId64 " xs=%" PRId64, in->ints[LOOP_STEP],
		           in->ints[LOOP_NINV], in->ints[LOOP_NCARRY], in->ints[LOOP_NXS]);
		if (in->ints[LOOP_FLAGS] & LF_BREAK)
			buf_puts(b, " break");
		if (in->ints[LOOP_FLAGS] & LF_REVERSE)
			buf_puts(b, " reverse");
		if (in->ints[LOOP_CKPT])
			buf_printf(b, " checkpoint=%" PRId64, in->ints[LOOP_CKPT]);
		break;
	case OP_extract: buf_printf(b, " index=%" PRId64, in->ints[0]); break;
	default: break;
	}
}

/* The type of a value: a control-flow op's is the list of its results'. */
static void print_value_type(Buf *b, const Func *f, int v)
{
	const Inst *in = ir_inst(f, v);
	if (in->op != OP_loop && in->op != OP_cond) {
		ir_print_type(b, in->dt, in->rank, in->shape);
		return;
	}
	buf_puts(b, "(");
	for (int k = 0, n = ir_nresults(f, v); k < n; k++) {
		DType dt;
		int rank;
		const Dim **shape;
		ir_result_type(f, v, k, &dt, &rank, &shape);
		if (k)
			buf_puts(b, ", ");
		ir_print_type(b, dt, rank, shape);
	}
	buf_puts(b, ")");
}

static void print_func(Buf *b, const Func *f, int indent);

static void spaces(Buf *b, int n)
{
	for (int i = 0; i < n; i++)
		buf_putc(b, ' ');
}

/* A function, or (indented, as "body NAME(...)") a body of a control-flow
 * op, which prints its bodies after its own line, two spaces deeper. */
static void print_func(Buf *b, const Func *f, int indent)
{
	spaces(b, indent);
	if (f->is_body)
		buf_printf(b, "body %s(", f->name);
	else
		buf_printf(b, "func %s(", f->name);
	for (int i = 0; i < f->params.len; i++) {
		const Inst *p = ir_inst(f, f->params.data[i]);
		buf_printf(b, "%s%s: ", i ? ", " : "", p->name);
		ir_print_type(b, p->dt, p->rank, p->shape);
		if (p->flags & IF_NOGRAD)
			buf_puts(b, " nograd");
	}
	buf_puts(b, ") -> (");
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		buf_printf(b, "%s%s: ", i ? ", " : "", r->name);
		ir_print_type(b, r->dt, r->rank, r->shape);
	}
	buf_puts(b, ")\n");
	for (int i = 0; i < f->cons.len; i++) {
		const Constraint *c = &f->cons.data[i];
		spaces(b, indent + 2);
		buf_puts(b, "require ");
		dim_print(b, c->a);
		buf_puts(b, c->kind == CONS_GE0 ? " >= 0" : c->kind == CONS_EQ ? " == " : " divisible by ");
		if (c->kind != CONS_GE0)
			dim_print(b, c->b);
		else if (c->b) {
			buf_puts(b, " where ");
			dim_print(b, c->b);
			buf_puts(b, " > 0");
		}
		buf_puts(b, "\n");
	}
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		Buf line;
		buf_init(&line, f->A);
		spaces(&line, indent + 2);
		buf_printf(&line, "%%%d:", v);
		print_value_type(&line, f, v);
		buf_printf(&line, " = %s", op_info[in->op].name);
		for (int k = 0; k < in->nargs; k++)
			buf_printf(&line, "%s%%%d", k ? ", " : " ", in->args[k]);
		print_attrs(&line, in);
		bool comment = (in->name && in->op != OP_param) || in->note || in->loc.line;
		if (comment) {
			while (line.len < (size_t)indent + 44)
				buf_putc(&line, ' ');
			buf_puts(&line, " ;");
			if (in->name && in->op != OP_param)
				buf_printf(&line, " %s", in->name);
			if (in->loc.line)
				buf_printf(&line, " %d:%d", in->loc.line, in->loc.col);
			if (in->note)
				buf_printf(&line, " (%s)", in->note);
		}
		buf_puts(b, line.data);
		buf_putc(b, '\n');
		buf_free(&line);
		for (int j = 0; j < in->nbodies; j++)
			print_func(b, in->bodies[j], indent + 4);
	}
	spaces(b, indent + 2);
	buf_puts(b, "ret");
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		if (r->value < 0)
			buf_printf(b, "%s %s=none", i ? "," : "", r->name);
		else
			buf_printf(b, "%s %s=%%%d", i ? "," : "", r->name, r->value);
	}
	buf_puts(b, "\n");
}

void ir_print(Buf *b, const Func *f)
{
	print_func(b, f, 0);
}
