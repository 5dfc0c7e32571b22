/* diag.h: source files, locations and the diagnostics list.
 *
 * Diagnostics are collected, never printed by the library: the command line
 * prints them, the JIT runtime hands them to its caller. The format is GCC's:
 *     FILE:LINE:COL: error: MESSAGE
 *         source line
 *         ^
 */
#ifndef AD_DIAG_H
#define AD_DIAG_H

#include "util.h"

typedef struct SrcFile {
	const char *name;
	const char *text; /* NUL-terminated copy of the source */
	size_t len;
	int *line_start; /* byte offset of each line */
	int nlines;
} SrcFile;

typedef struct Loc {
	int line, col; /* 1-based; 0 = no location */
} Loc;

typedef enum { DIAG_ERROR, DIAG_NOTE } DiagKind;

typedef struct Diag {
	DiagKind kind;
	Loc loc;
	char *msg;
	struct Diag *next;
} Diag;

typedef struct Diags {
	Arena *A;
	SrcFile *src;
	Diag *head, *tail;
	int nerrors;
	int limit; /* stop recording after this many errors */
} Diags;

SrcFile *src_new(Arena *A, const char *name, const char *text, size_t len);
/* The text of line `line` (without its newline) and its length. */
const char *src_line(const SrcFile *s, int line, int *len);

void diags_init(Diags *d, Arena *A, SrcFile *src);
void diag_error(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(Diags *d, Loc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* All diagnostics as text, each with its source line and caret. */
char *diags_render(const Diags *d, Arena *A);

/* The closest name to `name` among `cands` (NULL-terminated), or NULL. */
const char *did_you_mean(const char *name, const char *const *cands, int n);

#endif
