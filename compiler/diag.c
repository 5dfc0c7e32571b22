/* diag.c: diagnostics in GCC's format, with the source line and a caret. */
#include "diag.h"

#include <stdio.h>
#include <string.h>

SrcFile *src_new(Arena *A, const char *name, const char *text, size_t len)
{
	SrcFile *s = arena_alloc(A, sizeof *s);
	s->name = arena_strdup(A, name);
	s->text = arena_strndup(A, text, len);
	s->len = len;
	int n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	s->line_start = arena_array(A, (size_t)n + 1, sizeof(int));
	s->line_start[0] = 0;
	int k = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			s->line_start[k++] = (int)i + 1;
	s->nlines = n;
	return s;
}

const char *src_line(const SrcFile *s, int line, int *len)
{
	if (line < 1 || line > s->nlines) {
		*len = 0;
		return "";
	}
	const char *p = s->text + s->line_start[line - 1];
	const char *e = memchr(p, '\n', s->len - (size_t)(p - s->text));
	*len = e ? (int)(e - p) : (int)(s->text + s->len - p);
	if (*len > 0 && p[*len - 1] == '\r')
		(*len)--;
	return p;
}

void diags_init(Diags *d, Arena *A, SrcFile *src)
{
	memset(d, 0, sizeof *d);
	d->A = A;
	d->src = src;
	d->limit = 100;
}

static void add(Diags *d, DiagKind kind, Loc loc, const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void add(Diags *d, DiagKind kind, Loc loc, const char *fmt, va_list ap)
{
	if (kind == DIAG_ERROR && d->nerrors >= d->limit) {
		d->nerrors++;
		return;
	}
	char *msg = arena_vprintf(d->A, fmt, ap);
	/* The same error at the same place is reported once (a function body is
	 * checked on its own and again where it is inlined). */
	if (kind == DIAG_ERROR)
		for (Diag *g = d->head; g; g = g->next)
			if (g->kind == kind && g->loc.line == loc.line && g->loc.col == loc.col &&
			    strcmp(g->msg, msg) == 0)
				return;
	Diag *g = arena_alloc(d->A, sizeof *g);
	g->kind = kind;
	g->loc = loc;
	g->msg = msg;
	if (d->tail)
		d->tail->next = g;
	else
		d->head = g;
	d->tail = g;
	if (kind == DIAG_ERROR)
		d->nerrors++;
}

void diag_error(Diags *d, Loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(d, DIAG_ERROR, loc, fmt, ap);
	va_end(ap);
}

void diag_note(Diags *d, Loc loc, const char *fmt, ...)
{
	if (d->nerrors > d->limit)
		return;
	va_list ap;
	va_start(ap, fmt);
	add(d, DIAG_NOTE, loc, fmt, ap);
	va_end(ap);
}

/* Print a source line with control bytes and non-ASCII bytes shown as '?', so
 * a garbage file cannot garble the terminal; the caret line keeps tabs so it
 * lines up. */
static void render_line(Buf *b, const SrcFile *s, Loc loc)
{
	int len;
	const char *p = src_line(s, loc.line, &len);
	/* a long line is shown as a window around the column */
	int from = 0, to = len, col = loc.col - 1;
	if (col > len)
		col = len;
	if (len > 160) {
		from = col > 80 ? col - 80 : 0;
		to = from + 160 < len ? from + 160 : len;
	}
	buf_puts(b, "    ");
	if (from > 0)
		buf_puts(b, "...");
	for (int i = from; i < to; i++) {
		unsigned char c = (unsigned char)p[i];
		buf_putc(b, c == '\t' || (c >= 32 && c < 127) ? (char)c : '?');
	}
	if (to < len)
		buf_puts(b, "...");
	buf_puts(b, "\n    ");
	if (from > 0)
		buf_puts(b, "   ");
	for (int i = from; i < col; i++)
		buf_putc(b, p[i] == '\t' ? '\t' : ' ');
	buf_puts(b, "^\n");
}

char *diags_render(const Diags *d, Arena *A)
{
	Buf b;
	buf_init(&b, A);
	const char *file = d->src ? d->src->name : "<input>";
	for (const Diag *g = d->head; g; g = g->next) {
		const char *kind = g->kind == DIAG_ERROR ? "error" : "note";
		if (g->loc.line > 0)
			buf_printf(&b, "%s:%d:%d: %s: %s\n", file, g->loc.line, g->loc.col, kind, g->msg);
		else
			buf_printf(&b, "%s: %s: %s\n", file, kind, g->msg);
		if (g->loc.line > 0 && d->src)
			render_line(&b, d->src, g->loc);
	}
	if (d->nerrors > d->limit)
		buf_printf(&b, "%s: note: %d more errors not shown\n", file, d->nerrors - d->limit);
	return buf_finish(&b, A);
}

const char *did_you_mean(const char *name, const char *const *cands, int n)
{
	const char *best = NULL;
	int bestd = 1000;
	size_t len = strlen(name);
	int maxd = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	for (int i = 0; i < n; i++) {
		if (!cands[i] || strcmp(cands[i], name) == 0)
			continue;
		int dd = str_distance(name, cands[i]);
		if (dd < bestd) {
			bestd = dd;
			best = cands[i];
		}
	}
	/* a match must keep something of the name: 'q' is not a typo of 'x' */
	return bestd <= maxd && bestd < (int)len ? best : NULL;
}
