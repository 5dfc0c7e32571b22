/* parse.h: the interface between the scanner, the parser and the rest. */
#ifndef AD_PARSE_H
#define AD_PARSE_H

#include "ast.h"

typedef struct ParseCtx {
	Arena *A;
	Diags *diags;
	SrcFile *src;
	Program *prog;
	/* scanner state: newlines end statements only inside a function body
	 * and outside () and [] */
	int brace_depth, paren_depth;
	int line, col;
	bool deep_reported;
	bool too_many_stmts;
	jmp_buf *fatal; /* scanner failures unwind here */
	char fatal_msg[128];
} ParseCtx;

/* Parse a whole file; errors go to `d`. Returns the functions that parsed
 * (possibly none); never NULL. */
Program *parse_program(Arena *A, Diags *d, SrcFile *src);
/* The token stream, one token a line (--emit=tokens). */
void lex_dump(Arena *A, Diags *d, SrcFile *src, Buf *out);

#endif
