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

static void print_num(Buf *b, double v, DType dt)
{
	char s[40];
	fmt_shortest(s, sizeof s, v, dt == DT_F32);
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
			print_num(b, in->nums[0], in->dt);
			break;
		}
		buf_puts(b, " [");
		for (int64_t i = 0; i < in->nnums && i < 8; i++) {
			if (i)
				buf_puts(b, ", ");
			print_num(b, in->nums[i], in->dt);
		}
		buf_puts(b, in->nnums > 8 ? ", ...]" : "]");
		break;
	case OP_iota:
		buf_puts(b, in->flags & IF_LINSPACE ? " linspace " : " start=");
		print_num(b, in->nums[0], in->dt);
		buf_puts(b, in->flags & IF_LINSPACE ? " " : " delta=");
		print_num(b, in->flags & IF_LINSPACE ? in->nums[2] : in->nums[1], in->dt);
		break;
	case OP_dimval:
		buf_puts(b, " ");
		dim_print(b, in->dims[0]);
		break;
	case OP_sum:
	case OP_max:
	case OP_min:
	case OP_prod:
	case OP_norm: print_ints(b, "axes", in->ints, in->nints); break;
	case OP_transpose: print_ints(b, "perm", in->ints, in->nints); break;
	case OP_slice:
	case OP_unslice:
		buf_puts(b, " start=");
		ir_print_shape(b, in->ndims, in->dims);
		print_ints(b, "step", in->ints, in->nints);
		break;
	case OP_concat: buf_printf(b, " axis=%" PRId64, in->ints[0]); break;
	case OP_matmul:
		if (in->ints[0])
			buf_puts(b, " ta");
		if (in->ints[1])
			buf_puts(b, " tb");
		break;
	default: break;
	}
}

void ir_print(Buf *b, const Func *f)
{
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
		buf_puts(b, "  require ");
		dim_print(b, c->a);
		buf_puts(b, c->kind == CONS_GE0 ? " >= 0" : c->kind == CONS_EQ ? " == " : " divisible by ");
		if (c->kind != CONS_GE0)
			dim_print(b, c->b);
		buf_puts(b, "\n");
	}
	for (int v = 0; v < f->ins.len; v++) {
		const Inst *in = ir_inst(f, v);
		Buf line;
		buf_init(&line, f->A);
		buf_printf(&line, "  %%%d:", v);
		ir_print_type(&line, in->dt, in->rank, in->shape);
		buf_printf(&line, " = %s", op_info[in->op].name);
		for (int k = 0; k < in->nargs; k++)
			buf_printf(&line, "%s%%%d", k ? ", " : " ", in->args[k]);
		print_attrs(&line, in);
		bool comment = in->name || in->note || in->loc.line;
		if (comment) {
			while (line.len < 44)
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
	}
	buf_puts(b, "  ret");
	for (int i = 0; i < f->results.len; i++) {
		const FuncResult *r = &f->results.data[i];
		if (r->value < 0)
			buf_printf(b, "%s %s=none", i ? "," : "", r->name);
		else
			buf_printf(b, "%s %s=%%%d", i ? "," : "", r->name, r->value);
	}
	buf_puts(b, "\n");
}
