/* parser.y: the grammar of .ad files (bison, pure, with locations).
 *
 * Every node lives in the compilation's arena, so nothing needs a
 * %destructor: a parse abandoned at any point leaks nothing. Statement-level
 * error recovery lets one run report every syntax error of a file. */
%require "3.6"
%define api.pure full
%define parse.error custom
%define parse.lac full
%locations
%param {void *scanner}
%parse-param {ParseCtx *ctx}

%code requires {
#include "parse.h"
}

%union {
	const char *str;
	Ast *ast;
	AstList args;
	TypeAst type;
	DimAst dim;
	struct { DimAst *items; int n; } dims;
	Param param;
	struct { Param *items; int n; } params;
	Result result;
	struct { Result *items; int n; bool single; } results;
	Stmt stmt;
	StmtList stmts;
	struct { const char **names; Loc *locs; int n; } targets;
	FuncAst *func;
	DType dtype;
}

%code {
#include <stdio.h>
#include <string.h>

int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
static void yyerror(YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg);

static Loc L(YYLTYPE l)
{
	return (Loc){l.first_line, l.first_column};
}

/* Bound every expression's nesting so that later recursive stages stay
 * shallow; one report per file is enough. */
static Ast *deep(ParseCtx *ctx, Ast *e)
{
	int d = 0;
	if (e->a && e->a->depth > d) d = e->a->depth;
	if (e->b && e->b->depth > d) d = e->b->depth;
	if (e->c && e->c->depth > d) d = e->c->depth;
	for (int i = 0; i < e->list.n; i++)
		if (e->list.items[i] && e->list.items[i]->depth > d)
			d = e->list.items[i]->depth;
	e->depth = d + 1;
	if (e->depth > AST_MAX_DEPTH) {
		if (!ctx->deep_reported)
			diag_error(ctx->diags, e->loc, "expression is nested more than %d deep", AST_MAX_DEPTH);
		ctx->deep_reported = true;
		Ast *err = ast_new(ctx->A, AST_ERROR, e->loc);
		return err;
	}
	return e;
}

static Ast *index_of(ParseCtx *ctx, Ast *base, AstList items, Loc loc)
{
	Ast *e = ast_new(ctx->A, AST_INDEX, loc);
	e->a = base;
	e->list = items;
	return deep(ctx, e);
}

/* y[...] = v as the assignment y = (y with y[...] replaced by v): a
 * statement that binds y, whose expression reads y (so a loop carries it). */
static Stmt update_stmt(ParseCtx *ctx, Ast *target, Ast *value, bool add, int last_line)
{
	Stmt s;
	memset(&s, 0, sizeof s);
	s.kind = STMT_ASSIGN;
	s.loc = target->loc;
	s.last_line = last_line;
	if (target->kind != AST_INDEX || target->a->kind != AST_NAME) {
		diag_error(ctx->diags, target->loc, "only a name indexed, y[...], can be assigned to %s",
		           add ? "with +=" : "in place");
		s.expr = ast_new(ctx->A, AST_ERROR, target->loc);
		return s;
	}
	Ast *e = ast_new(ctx->A, AST_UPDATE, target->loc);
	e->a = target;
	e->b = value;
	e->op = add ? BIN_ADD : BIN_NE; /* (BIN_NE: a set) */
	s.expr = e;
	s.targets = arena_append_slot(ctx->A, NULL, 0, sizeof *s.targets);
	s.target_locs = arena_append_slot(ctx->A, NULL, 0, sizeof *s.target_locs);
	s.targets[0] = target->a->name;
	s.target_locs[0] = target->a->loc;
	s.ntargets = 1;
	return s;
}

static Ast *binop(ParseCtx *ctx, BinOp op, Ast *a, Ast *b, Loc loc)
{
	Ast *e = ast_new(ctx->A, AST_BINOP, loc);
	e->op = op;
	e->a = a;
	e->b = b;
	return deep(ctx, e);
}

#define PUSH(A, vec, x)                                                                            \
	do {                                                                                           \
		(vec).items = arena_append_slot((A), (vec).items, (size_t)(vec).n, sizeof *(vec).items);  \
		(vec).items[(vec).n++] = (x);                                                              \
	} while (0)
}

%token <str> IDENT "identifier"
%token <ast> NUMBER "number"
%token FUNC "func" NONE "none" TRUE "true" FALSE "false" NOGRAD "nograd"
%token FOR "for" IN "in" IF "if" ELSE "else" BREAK "break"
%token F32 "f32" F64 "f64" I32 "i32" I64 "i64"
%token ARROW "->" POW "**" FLOORDIV "//" PLUSEQ "+=" LE "<=" GE ">=" EQ "==" NE "!="
%token NEWLINE "newline"

%type <ast> expr cmp arith term unary power postfix primary slice_item opt_expr list
%type <args> args arg_list items item_list slice_items
%type <type> type
%type <dtype> dtype
%type <dim> dim
%type <dims> dims
%type <param> param
%type <params> params param_list
%type <result> result
%type <results> results result_list
%type <stmt> stmt compound if_stmt
%type <stmts> body stmt_list
%type <targets> targets
%type <func> func

%start program

%%

program
	: %empty
	| program func {
		Program *p = ctx->prog;
		p->funcs = arena_append_slot(ctx->A, p->funcs, (size_t)p->nfuncs, sizeof *p->funcs);
		p->funcs[p->nfuncs++] = $2;
	}
	| program error '}' { yyerrok; }
	;

func
	: FUNC IDENT '(' params ')' ARROW results '{' body '}' {
		$$ = arena_alloc(ctx->A, sizeof *$$);
		$$->loc = L(@2);
		$$->name = $2;
		$$->params = $4.items;
		$$->nparams = $4.n;
		$$->results = $7.items;
		$$->nresults = $7.n;
		$$->single_result = $7.single;
		$$->stmts = $9.items;
		$$->nstmts = $9.n;
	}
	;

params
	: %empty { $$.items = NULL; $$.n = 0; }
	| param_list
	| param_list ','
	;

param_list
	: param { $$.items = NULL; $$.n = 0; PUSH(ctx->A, $$, $1); }
	| param_list ',' param { $$ = $1; PUSH(ctx->A, $$, $3); }
	;

param
	: IDENT ':' type { $$.loc = L(@1); $$.name = $1; $$.type = $3; $$.nograd = false; }
	| IDENT ':' type NOGRAD { $$.loc = L(@1); $$.name = $1; $$.type = $3; $$.nograd = true; }
	;

type
	: dtype { $$.loc = L(@1); $$.dtype = $1; $$.rank = 0; $$.dims = NULL; }
	| dtype '[' dims ']' { $$.loc = L(@1); $$.dtype = $1; $$.rank = $3.n; $$.dims = $3.items; }
	;

dtype
	: F32 { $$ = DT_F32; }
	| F64 { $$ = DT_F64; }
	| I32 { $$ = DT_I32; }
	| I64 { $$ = DT_I64; }
	;

dims
	: %empty { $$.items = NULL; $$.n = 0; }
	| dim { $$.items = NULL; $$.n = 0; PUSH(ctx->A, $$, $1); }
	| dims ',' dim {
		$$ = $1;
		if ($$.n == AST_MAX_RANK)
			diag_error(ctx->diags, $3.loc, "a tensor may have at most %d dimensions", AST_MAX_RANK);
		else
			PUSH(ctx->A, $$, $3);
	}
	;

dim
	: arith {
		$$.loc = L(@1);
		$$.name = NULL;
		$$.value = 0;
		$$.expr = NULL;
		if ($1->kind == AST_NAME)
			$$.name = $1->name;
		else if ($1->kind != AST_NUM)
			$$.expr = $1;
		else if (!$1->is_int)
			diag_error(ctx->diags, $$.loc, "a dimension must be a whole number, not '%s'", $1->text);
		else if ($1->num > 4.6e18)
			diag_error(ctx->diags, $$.loc, "dimension %s is too large", $1->text);
		else
			$$.value = (int64_t)$1->num;
	}
	;

results
	: '(' result_list ')' { $$ = $2; }
	| '(' result_list ',' ')' { $$ = $2; }
	| result { $$.items = NULL; $$.n = 0; $$.single = true; PUSH(ctx->A, $$, $1); }
	;

result_list
	: result { $$.items = NULL; $$.n = 0; $$.single = false; PUSH(ctx->A, $$, $1); }
	| result_list ',' result { $$ = $1; PUSH(ctx->A, $$, $3); }
	;

result
	: IDENT { $$.loc = L(@1); $$.name = $1; $$.has_type = false; memset(&$$.type, 0, sizeof $$.type); }
	| IDENT ':' type { $$.loc = L(@1); $$.name = $1; $$.has_type = true; $$.type = $3; }
	;

body
	: stmt_list
	| stmt_list stmt { $$ = $1; PUSH(ctx->A, $$, $2); }
	| stmt_list error { $$ = $1; } /* recover at the closing brace */
	;

stmt_list
	: %empty { $$.items = NULL; $$.n = 0; }
	| stmt_list sep
	| stmt_list stmt sep {
		$$ = $1;
		if ($$.n >= AST_MAX_STMTS) {
			if (!ctx->too_many_stmts)
				diag_error(ctx->diags, $2.loc, "a function may have at most %d statements", AST_MAX_STMTS);
			ctx->too_many_stmts = true;
		} else {
			PUSH(ctx->A, $$, $2);
		}
	}
	| stmt_list error sep { $$ = $1; yyerrok; }
	;

sep : NEWLINE | ';' ;

stmt
	: expr { memset(&$$, 0, sizeof $$); $$.kind = STMT_ASSIGN; $$.loc = $1->loc; $$.last_line = @1.last_line; $$.expr = $1; }
	| targets '=' expr {
		memset(&$$, 0, sizeof $$);
		$$.kind = STMT_ASSIGN;
		$$.loc = $1.locs[0];
		$$.last_line = @3.last_line;
		$$.targets = $1.names;
		$$.target_locs = $1.locs;
		$$.ntargets = $1.n;
		$$.expr = $3;
	}
	| postfix '[' slice_items ']' '=' expr { $$ = update_stmt(ctx, index_of(ctx, $1, $3, L(@2)), $6, false, @6.last_line); }
	| postfix '[' slice_items ']' PLUSEQ expr { $$ = update_stmt(ctx, index_of(ctx, $1, $3, L(@2)), $6, true, @6.last_line); }
	| compound
	| BREAK { memset(&$$, 0, sizeof $$); $$.kind = STMT_BREAK; $$.loc = L(@1); $$.last_line = @1.last_line; }
	;

compound
	: FOR IDENT IN expr '{' body '}' {
		memset(&$$, 0, sizeof $$);
		$$.kind = STMT_FOR;
		$$.loc = L(@1);
		$$.last_line = @4.last_line;
		$$.var = $2;
		$$.var_loc = L(@2);
		$$.expr = $4;
		$$.body = $6;
		$$.end = L(@7);
	}
	| if_stmt
	;

if_stmt
	: IF expr '{' body '}' {
		memset(&$$, 0, sizeof $$);
		$$.kind = STMT_IF;
		$$.loc = L(@1);
		$$.last_line = @2.last_line;
		$$.expr = $2;
		$$.body = $4;
		$$.end = L(@5);
	}
	| IF expr '{' body '}' ELSE '{' body '}' {
		memset(&$$, 0, sizeof $$);
		$$.kind = STMT_IF;
		$$.loc = L(@1);
		$$.last_line = @2.last_line;
		$$.expr = $2;
		$$.body = $4;
		$$.els = $8;
		$$.has_else = true;
		$$.end = L(@9);
	}
	| IF expr '{' body '}' ELSE if_stmt {
		memset(&$$, 0, sizeof $$);
		$$.kind = STMT_IF;
		$$.loc = L(@1);
		$$.last_line = @2.last_line;
		$$.expr = $2;
		$$.body = $4;
		$$.els.items = arena_alloc(ctx->A, sizeof *$$.els.items);
		$$.els.items[0] = $7;
		$$.els.n = 1;
		$$.has_else = true;
		$$.end = $7.end;
	}
	;

targets
	: IDENT {
		$$.names = arena_append_slot(ctx->A, NULL, 0, sizeof *$$.names);
		$$.locs = arena_append_slot(ctx->A, NULL, 0, sizeof *$$.locs);
		$$.names[0] = $1;
		$$.locs[0] = L(@1);
		$$.n = 1;
	}
	| targets ',' IDENT {
		$$ = $1;
		$$.names = arena_append_slot(ctx->A, $$.names, (size_t)$$.n, sizeof *$$.names);
		$$.locs = arena_append_slot(ctx->A, $$.locs, (size_t)$$.n, sizeof *$$.locs);
		$$.names[$$.n] = $3;
		$$.locs[$$.n] = L(@3);
		$$.n++;
	}
	;

expr : cmp ;

cmp
	: arith
	| arith '<' arith { $$ = binop(ctx, BIN_LT, $1, $3, L(@2)); }
	| arith LE arith { $$ = binop(ctx, BIN_LE, $1, $3, L(@2)); }
	| arith '>' arith { $$ = binop(ctx, BIN_GT, $1, $3, L(@2)); }
	| arith GE arith { $$ = binop(ctx, BIN_GE, $1, $3, L(@2)); }
	| arith EQ arith { $$ = binop(ctx, BIN_EQ, $1, $3, L(@2)); }
	| arith NE arith { $$ = binop(ctx, BIN_NE, $1, $3, L(@2)); }
	;

arith
	: term
	| arith '+' term { $$ = binop(ctx, BIN_ADD, $1, $3, L(@2)); }
	| arith '-' term { $$ = binop(ctx, BIN_SUB, $1, $3, L(@2)); }
	;

term
	: unary
	| term '*' unary { $$ = binop(ctx, BIN_MUL, $1, $3, L(@2)); }
	| term '/' unary { $$ = binop(ctx, BIN_DIV, $1, $3, L(@2)); }
	| term FLOORDIV unary { $$ = binop(ctx, BIN_FLOORDIV, $1, $3, L(@2)); }
	| term '%' unary { $$ = binop(ctx, BIN_MOD, $1, $3, L(@2)); }
	| term '@' unary { $$ = binop(ctx, BIN_MATMUL, $1, $3, L(@2)); }
	;

unary
	: power
	| '-' unary { $$ = ast_new(ctx->A, AST_NEG, L(@1)); $$->a = $2; $$ = deep(ctx, $$); }
	;

power
	: postfix
	| postfix POW unary { $$ = binop(ctx, BIN_POW, $1, $3, L(@2)); }
	;

postfix
	: primary
	| postfix '(' args ')' { $$ = ast_new(ctx->A, AST_CALL, $1->loc); $$->a = $1; $$->list = $3; $$ = deep(ctx, $$); }
	| postfix '[' slice_items ']' { $$ = index_of(ctx, $1, $3, L(@2)); }
	| postfix '.' IDENT { $$ = ast_new(ctx->A, AST_ATTR, L(@3)); $$->a = $1; $$->name = $3; $$ = deep(ctx, $$); }
	;

primary
	: IDENT { $$ = ast_new(ctx->A, AST_NAME, L(@1)); $$->name = $1; }
	| NUMBER
	| TRUE { $$ = ast_new(ctx->A, AST_BOOL, L(@1)); $$->bval = true; }
	| FALSE { $$ = ast_new(ctx->A, AST_BOOL, L(@1)); $$->bval = false; }
	| NONE { $$ = ast_new(ctx->A, AST_NONE, L(@1)); }
	| dtype { $$ = ast_new(ctx->A, AST_DTYPE, L(@1)); $$->dtype = $1; }
	| '(' expr ')' { $$ = $2; }
	| list
	;

list
	: '[' items ']' { $$ = ast_new(ctx->A, AST_LIST, L(@1)); $$->list = $2; $$ = deep(ctx, $$); }
	;

items
	: %empty { memset(&$$, 0, sizeof $$); }
	| item_list
	| item_list ','
	;

item_list
	: expr { memset(&$$, 0, sizeof $$); ast_list_push(ctx->A, &$$, $1, NULL, $1->loc); }
	| item_list ',' expr { $$ = $1; ast_list_push(ctx->A, &$$, $3, NULL, $3->loc); }
	;

args
	: %empty { memset(&$$, 0, sizeof $$); }
	| arg_list
	| arg_list ','
	;

arg_list
	: expr { memset(&$$, 0, sizeof $$); ast_list_push(ctx->A, &$$, $1, NULL, $1->loc); }
	| IDENT '=' expr { memset(&$$, 0, sizeof $$); ast_list_push(ctx->A, &$$, $3, $1, L(@1)); }
	| arg_list ',' expr { $$ = $1; ast_list_push(ctx->A, &$$, $3, NULL, $3->loc); }
	| arg_list ',' IDENT '=' expr { $$ = $1; ast_list_push(ctx->A, &$$, $5, $3, L(@3)); }
	;

slice_items
	: slice_item { memset(&$$, 0, sizeof $$); ast_list_push(ctx->A, &$$, $1, NULL, $1->loc); }
	| slice_items ',' slice_item { $$ = $1; ast_list_push(ctx->A, &$$, $3, NULL, $3->loc); }
	;

slice_item
	: expr
	| opt_expr ':' opt_expr {
		$$ = ast_new(ctx->A, AST_SLICE, L(@2));
		$$->a = $1;
		$$->b = $3;
		$$ = deep(ctx, $$);
	}
	| opt_expr ':' opt_expr ':' opt_expr {
		$$ = ast_new(ctx->A, AST_SLICE, L(@2));
		$$->a = $1;
		$$->b = $3;
		$$->c = $5;
		$$ = deep(ctx, $$);
	}
	;

opt_expr
	: %empty { $$ = NULL; }
	| expr
	;

%%

static void yyerror(YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg)
{
	(void)scanner;
	if (strcmp(msg, "memory exhausted") == 0)
		diag_error(ctx->diags, L(*loc), "the program is nested too deeply to parse");
	else
		diag_error(ctx->diags, L(*loc), "%s", msg);
}

/* Words ("identifier", "end of file") are shown bare, keywords and
 * punctuation in quotes. */
static void put_symbol(Buf *b, const char *name)
{
	static const char *const words[] = {"identifier", "number", "newline", "end of file", "error"};
	if (name[0] == '\'') {
		buf_puts(b, name);
		return;
	}
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(name, words[i]) == 0) {
			buf_puts(b, name);
			return;
		}
	buf_printf(b, "'%s'", name);
}

/* Operators that could continue an expression: in "expected" lists they
 * are noise next to the tokens that would end it. */
static bool continues_expr(const char *name)
{
	static const char *const ops[] = {"**", "//", "<=", ">=", "==", "!=", "'<'", "'>'", "'+'", "'-'",
	                                  "'*'", "'/'", "'%'", "'@'", "'.'", "'('", "'['"};
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(name, ops[i]) == 0)
			return true;
	return false;
}

/* "expected ')' or ',' before 'foo'": name what the grammar allows next,
 * as GCC does. */
static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner, ParseCtx *ctx)
{
	(void)scanner;
	yysymbol_kind_t expected[YYNTOKENS];
	int n = yypcontext_expected_tokens(yyctx, expected, YYNTOKENS);
	yysymbol_kind_t got = yypcontext_token(yyctx);
	bool expr = false, enders = false;
	for (int i = 0; i < n; i++) {
		expr = expr || expected[i] == YYSYMBOL_NUMBER;
		enders = enders || !continues_expr(yysymbol_name(expected[i]));
	}
	const char *show[8];
	int ns = 0;
	if (expr)
		show[ns++] = "an expression";
	for (int i = 0; i < n && ns < 8; i++) {
		yysymbol_kind_t k = expected[i];
		const char *name = yysymbol_name(k);
		bool starts = k == YYSYMBOL_IDENT || k == YYSYMBOL_NUMBER || k == YYSYMBOL_TRUE || k == YYSYMBOL_FALSE ||
		              k == YYSYMBOL_NONE || k == YYSYMBOL_F32 || k == YYSYMBOL_F64 || k == YYSYMBOL_I32 ||
		              k == YYSYMBOL_I64 || strcmp(name, "'('") == 0 ||
		              strcmp(name, "'['") == 0 || strcmp(name, "'-'") == 0;
		if ((expr && starts) || (enders && continues_expr(name)))
			continue;
		show[ns++] = name;
	}
	Buf b;
	buf_init(&b, ctx->A);
	if (ns == 0)
		buf_puts(&b, "syntax error");
	else
		buf_puts(&b, "expected ");
	for (int i = 0; i < ns && i < 6; i++) {
		if (i)
			buf_puts(&b, i == ns - 1 ? " or " : ", ");
		if (i == 5) {
			buf_puts(&b, "...");
			break;
		}
		if (strcmp(show[i], "an expression") == 0)
			buf_puts(&b, show[i]);
		else
			put_symbol(&b, show[i]);
	}
	if (got == YYSYMBOL_YYEOF) {
		buf_puts(&b, " at the end of the file");
	} else if (got != YYSYMBOL_YYEMPTY) {
		buf_puts(&b, " before ");
		put_symbol(&b, yysymbol_name(got));
	}
	diag_error(ctx->diags, L(*yypcontext_location(yyctx)), "%s", b.data);
	buf_free(&b);
	return 0;
}
