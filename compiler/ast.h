/* ast.h: the syntax tree the parser builds (in the compilation's arena). */
#ifndef AD_AST_H
#define AD_AST_H

#include "diag.h"

typedef enum {
	AST_ERROR, /* stands in for a part that already had an error */
	AST_NAME,
	AST_NUM,
	AST_BOOL,
	AST_NONE,
	AST_DTYPE, /* f32 / f64 used as a value (dtype=f64) or a conversion */
	AST_LIST,  /* [a, b, ...]: a constant tensor or a list argument */
	AST_NEG,
	AST_BINOP,
	AST_CALL,
	AST_INDEX,  /* x[items] */
	AST_SLICE,  /* start:stop:step inside an index; parts may be NULL */
	AST_ATTR,   /* x.grad, x.T */
	AST_UPDATE, /* y[...] = v (op BIN_ADD: y[...] += v): a is the y[...], b the v */
} AstKind;

typedef enum {
	BIN_ADD,
	BIN_SUB,
	BIN_MUL,
	BIN_DIV,
	BIN_MATMUL,
	BIN_POW,
	BIN_LT,
	BIN_LE,
	BIN_GT,
	BIN_GE,
	BIN_EQ,
	BIN_NE,
	BIN_FLOORDIV, /* integers only */
	BIN_MOD,
} BinOp;

/* Element types. The integer types are never differentiable; today only
 * the IR has them (a loop's counter), the language gets them with LANGUAGE.md
 * section 11. */
typedef enum { DT_F32, DT_F64, DT_I32, DT_I64 } DType;

static inline bool dtype_is_int(DType dt)
{
	return dt == DT_I32 || dt == DT_I64;
}

typedef struct Ast Ast;

typedef struct AstList {
	Ast **items;
	const char **kw; /* CALL arguments: keyword or NULL for positional */
	Loc *kwloc;
	int n, cap;
} AstList;

struct Ast {
	AstKind kind;
	Loc loc;
	int depth;        /* nesting depth, bounded by the parser */
	const char *name; /* NAME, ATTR member */
	const char *text; /* NUM as written */
	double num;       /* NUM */
	bool is_int;      /* NUM written without '.' or exponent */
	bool bval;        /* BOOL */
	DType dtype;      /* DTYPE */
	BinOp op;         /* BINOP */
	Ast *a, *b, *c;   /* NEG a; BINOP a b; CALL/INDEX/ATTR base a; SLICE a:b:c */
	AstList list;     /* LIST items, CALL args, INDEX items */
};

typedef struct DimAst {
	Loc loc;
	const char *name; /* a symbolic dimension alone, or NULL */
	int64_t value;    /* a literal, when name and expr are NULL */
	const Ast *expr;  /* a dimension expression (n - 2, 2 * m), or NULL */
} DimAst;

typedef struct TypeAst {
	Loc loc;
	DType dtype;
	int rank;
	DimAst *dims;
} TypeAst;

typedef struct Param {
	Loc loc;
	const char *name;
	TypeAst type;
	bool nograd;
} Param;

typedef struct Result {
	Loc loc;
	const char *name;
	bool has_type;
	TypeAst type;
} Result;

typedef enum {
	STMT_ASSIGN, /* targets = expr, or an expression statement */
	STMT_FOR,    /* for var in expr { body } */
	STMT_IF,     /* if expr { body } else { els } */
	STMT_BREAK,
} StmtKind;

typedef struct Stmt Stmt;

typedef struct StmtList {
	Stmt *items;
	int n;
} StmtList;

struct Stmt {
	StmtKind kind;
	Loc loc;
	int last_line;        /* the statement's text spans loc.line..last_line (a header's line for for and if) */
	const char **targets; /* NULL: expression statement */
	Loc *target_locs;
	int ntargets;
	Ast *expr;       /* ASSIGN: the value; FOR: the range(...) call; IF: the condition */
	const char *var; /* FOR: the loop variable */
	Loc var_loc;
	StmtList body; /* FOR, IF: the body, the then branch */
	StmtList els;  /* IF: the else branch (an else if is an IF alone in it) */
	bool has_else;
	Loc end; /* FOR, IF: the closing brace of the body */
};

typedef struct FuncAst {
	Loc loc;
	const char *name;
	Param *params;
	int nparams;
	Result *results;
	int nresults;
	bool single_result; /* -> y rather than -> (y) */
	Stmt *stmts;
	int nstmts;
} FuncAst;

typedef struct Program {
	FuncAst **funcs;
	int nfuncs;
} Program;

/* Limits that keep every later stage's recursion and sizes bounded. */
enum {
	AST_MAX_DEPTH = 512,    /* nested operations in one expression */
	AST_MAX_RANK = 16,      /* tensor rank */
	AST_MAX_STMTS = 100000, /* statements in one function */
	AST_MAX_BLOCKS = 64,    /* blocks (loop and if bodies) nested in one another */
	AST_MAX_LOOPS = 16      /* loops nested in one another (LANGUAGE.md section 10) */
};

Ast *ast_new(Arena *A, AstKind kind, Loc loc);
void ast_list_push(Arena *A, AstList *l, Ast *item, const char *kw, Loc kwloc);
const char *binop_token(BinOp op);
const char *dtype_name(DType dt);
void ast_print(Buf *b, const Program *p);
void ast_print_expr(Buf *b, const Ast *e);

#endif
