/* ast.c: syntax tree constructors and the --emit=ast printer. */
#include "ast.h"

#include <inttypes.h>

Ast *ast_new(Arena *A, AstKind kind, Loc loc)
{
	Ast *e = arena_alloc(A, sizeof *e);
	e->kind = kind;
	e->loc = loc;
	e->depth = 1;
	return e;
}

void ast_list_push(Arena *A, AstList *l, Ast *item, const char *kw, Loc kwloc)
{
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 4;
		l->items = arena_grow(A, l->items, (size_t)l->cap, (size_t)cap, sizeof *l->items);
		l->kw = arena_grow(A, l->kw, (size_t)l->cap, (size_t)cap, sizeof *l->kw);
		l->kwloc = arena_grow(A, l->kwloc, (size_t)l->cap, (size_t)cap, sizeof *l->kwloc);
		l->cap = cap;
	}
	l->items[l->n] = item;
	l->kw[l->n] = kw;
	l->kwloc[l->n] = kwloc;
	l->n++;
}

const char *binop_token(BinOp op)
{
	static const char *const names[] = {"+", "-", "*", "/", "@", "**", "<", "<=", ">", ">=", "==", "!=", "//", "%"};
	return names[op];
}

const char *dtype_name(DType dt)
{
	static const char *const names[] = {"f32", "f64", "i32", "i64"};
	return names[dt];
}

void ast_print_expr(Buf *b, const Ast *e)
{
	if (!e) {
		buf_puts(b, "_");
		return;
	}
	switch (e->kind) {
	case AST_ERROR: buf_puts(b, "<error>"); break;
	case AST_NAME: buf_puts(b, e->name); break;
	case AST_NUM: buf_puts(b, e->text); break;
	case AST_BOOL: buf_puts(b, e->bval ? "true" : "false"); break;
	case AST_NONE: buf_puts(b, "none"); break;
	case AST_DTYPE: buf_puts(b, dtype_name(e->dtype)); break;
	case AST_LIST:
		buf_puts(b, "[");
		for (int i = 0; i < e->list.n; i++) {
			if (i)
				buf_puts(b, " ");
			ast_print_expr(b, e->list.items[i]);
		}
		buf_puts(b, "]");
		break;
	case AST_NEG:
		buf_puts(b, "(neg ");
		ast_print_expr(b, e->a);
		buf_puts(b, ")");
		break;
	case AST_BINOP:
		buf_printf(b, "(%s ", binop_token(e->op));
		ast_print_expr(b, e->a);
		buf_puts(b, " ");
		ast_print_expr(b, e->b);
		buf_puts(b, ")");
		break;
	case AST_CALL:
		buf_puts(b, "(call ");
		ast_print_expr(b, e->a);
		for (int i = 0; i < e->list.n; i++) {
			buf_puts(b, " ");
			if (e->list.kw[i])
				buf_printf(b, "%s=", e->list.kw[i]);
			ast_print_expr(b, e->list.items[i]);
		}
		buf_puts(b, ")");
		break;
	case AST_INDEX:
		buf_puts(b, "(index ");
		ast_print_expr(b, e->a);
		for (int i = 0; i < e->list.n; i++) {
			buf_puts(b, " ");
			ast_print_expr(b, e->list.items[i]);
		}
		buf_puts(b, ")");
		break;
	case AST_SLICE:
		buf_puts(b, "(slice ");
		ast_print_expr(b, e->a);
		buf_puts(b, " ");
		ast_print_expr(b, e->b);
		buf_puts(b, " ");
		ast_print_expr(b, e->c);
		buf_puts(b, ")");
		break;
	case AST_ATTR:
		buf_printf(b, "(attr %s ", e->name);
		ast_print_expr(b, e->a);
		buf_puts(b, ")");
		break;
	case AST_UPDATE:
		buf_puts(b, e->op == BIN_ADD ? "(update+= " : "(update ");
		ast_print_expr(b, e->a);
		buf_puts(b, " ");
		ast_print_expr(b, e->b);
		buf_puts(b, ")");
		break;
	}
}

static void print_type(Buf *b, const TypeAst *t)
{
	buf_puts(b, dtype_name(t->dtype));
	if (t->rank == 0)
		return;
	buf_puts(b, "[");
	for (int i = 0; i < t->rank; i++) {
		if (i)
			buf_puts(b, ", ");
		if (t->dims[i].name)
			buf_puts(b, t->dims[i].name);
		else
			buf_printf(b, "%" PRId64, t->dims[i].value);
	}
	buf_puts(b, "]");
}

/* Statements, one a line at `indent`; blocks nest (their depth is bounded
 * by the scanner). */
static void print_stmts(Buf *b, const Stmt *ss, int n, int indent)
{
	for (int i = 0; i < n; i++) {
		const Stmt *s = &ss[i];
		buf_printf(b, "\n%*s@%d:%d ", indent, "", s->loc.line, s->loc.col);
		switch (s->kind) {
		case STMT_ASSIGN:
			if (s->targets) {
				buf_puts(b, "(=");
				for (int t = 0; t < s->ntargets; t++)
					buf_printf(b, " %s", s->targets[t]);
				buf_puts(b, " ");
				ast_print_expr(b, s->expr);
				buf_puts(b, ")");
			} else {
				ast_print_expr(b, s->expr);
			}
			break;
		case STMT_FOR:
			buf_printf(b, "(for %s ", s->var);
			ast_print_expr(b, s->expr);
			print_stmts(b, s->body.items, s->body.n, indent + 2);
			buf_puts(b, ")");
			break;
		case STMT_IF:
			buf_puts(b, "(if ");
			ast_print_expr(b, s->expr);
			print_stmts(b, s->body.items, s->body.n, indent + 2);
			if (s->has_else) {
				buf_printf(b, "\n%*selse", indent + 1, "");
				print_stmts(b, s->els.items, s->els.n, indent + 2);
			}
			buf_puts(b, ")");
			break;
		case STMT_BREAK: buf_puts(b, "(break)"); break;
		}
	}
}

void ast_print(Buf *b, const Program *p)
{
	for (int f = 0; f < p->nfuncs; f++) {
		const FuncAst *fn = p->funcs[f];
		buf_printf(b, "(func %s @%d:%d\n  (params", fn->name, fn->loc.line, fn->loc.col);
		for (int i = 0; i < fn->nparams; i++) {
			buf_printf(b, " (%s ", fn->params[i].name);
			print_type(b, &fn->params[i].type);
			buf_puts(b, fn->params[i].nograd ? " nograd)" : ")");
		}
		buf_puts(b, ")\n  (results");
		for (int i = 0; i < fn->nresults; i++) {
			buf_printf(b, " (%s", fn->results[i].name);
			if (fn->results[i].has_type) {
				buf_puts(b, " ");
				print_type(b, &fn->results[i].type);
			}
			buf_puts(b, ")");
		}
		buf_puts(b, ")");
		print_stmts(b, fn->stmts, fn->nstmts, 2);
		buf_puts(b, ")\n");
	}
}
