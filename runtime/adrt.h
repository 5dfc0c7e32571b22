/* adrt.h: the ad-compile runtime library.
 *
 * Tensors, their I/O (.npy, .json, .csv and JSON literals) and printing.
 * Every function that can fail takes an ad_error and returns NULL or a
 * nonzero code with a message in it; nothing in the library prints or exits. */
#ifndef ADRT_H
#define ADRT_H

#include <stddef.h>
#include <stdint.h>

#include "ad_meta.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AD_MAX_RANK 16

typedef enum ad_dtype { AD_F32 = 0, AD_F64 = 1 } ad_dtype;

/* The status codes (AD_OK, AD_E_*, and the emitted code's AD_ERR_*) are in
 * ad_meta.h. */

typedef struct ad_error {
	int code;
	char msg[4096];
} ad_error;

typedef struct ad_tensor {
	ad_dtype dtype;
	int rank;
	int64_t shape[AD_MAX_RANK];
	void *data;             /* contiguous, row-major; owned by the tensor */
	struct ad_tensor *grad; /* accumulated by ad_backward; NULL until then; owned */
	int stop_gradient;      /* nonzero: ad_backward treats it as a constant (Paddle) */
} ad_tensor;

/* A zero-filled tensor; NULL on error. */
ad_tensor *ad_tensor_new(ad_dtype dtype, int rank, const int64_t *shape, ad_error *err);
void ad_tensor_free(ad_tensor *t);
int64_t ad_tensor_numel(const ad_tensor *t);
size_t ad_dtype_size(ad_dtype dtype);
const char *ad_dtype_name(ad_dtype dtype);
double ad_tensor_get(const ad_tensor *t, int64_t i);
void ad_tensor_set(ad_tensor *t, int64_t i, double v);
/* A copy in another dtype (or the same). */
ad_tensor *ad_tensor_convert(const ad_tensor *t, ad_dtype dtype, ad_error *err);
/* "f32[2, 3]" */
void ad_tensor_describe(const ad_tensor *t, char *out, size_t n);

/* Set err's code and message (printf-style); returns the code. */
int ad_error_set(ad_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Input: a JSON number or nested array ("1.5", "[[1, 2], [3, 4]]"; the strings
 * "NaN", "Infinity" and "-Infinity" are numbers too), as f64. */
ad_tensor *ad_parse_json(const char *text, ad_error *err);
/* Input: a .npy, .json or .csv file, chosen by extension; a CSV is a 2-D table. */
ad_tensor *ad_read_file(const char *path, ad_error *err);
ad_tensor *ad_read_npy(const char *path, ad_error *err);
ad_tensor *ad_read_csv(const char *path, ad_error *err);
/* The same from bytes in memory; `name` stands for the file in messages. */
ad_tensor *ad_parse_npy(const void *data, size_t len, const char *name, ad_error *err);
ad_tensor *ad_parse_csv(const char *data, size_t len, const char *name, ad_error *err);
/* Write as .npy (<f4 or <f8, C order), through a temporary file and a rename. */
int ad_write_npy(const char *path, const ad_tensor *t, ad_error *err);
/* The bytes of that .npy file (malloc'ed; *len set), or NULL when out of memory. */
void *ad_format_npy(const ad_tensor *t, size_t *len);
/* Write bytes to path atomically (temporary file in the same directory, then
 * rename), so an error never leaves a truncated file or destroys an old one. */
int ad_write_file_atomic(const char *path, const void *data, size_t len, ad_error *err);
/* Several files, all or none: each is written to a temporary file first, and
 * only when all are written are they renamed into place. */
int ad_write_files_atomic(int n, const char *const *paths, const void *const *data, const size_t *lens, ad_error *err);

/* Output formats of named results; a NULL tensor is a none result. The
 * returned text is malloc'ed; NULL when out of memory. */
char *ad_format_json(const char *const *names, const ad_tensor *const *ts, int n);
char *ad_format_text(const char *const *names, const ad_tensor *const *ts, int n);
char *ad_format_csv(const char *const *names, const ad_tensor *const *ts, int n);

/* ---------------------------------------------------------------- compiled functions */

typedef struct ad_module ad_module;
typedef struct ad_function ad_function;
typedef struct ad_graph ad_graph;

/* A module over the NAME_meta records of emitted code linked into the
 * program (ahead of time; no compiler, no libtcc). */
ad_module *ad_module_from_meta(const ad_meta *const *metas, int n, ad_error *err);
/* Compile .ad source text in memory (libadjit: link -ladjit, see
 * docs/runtime-api.md). Diagnostics come back in err (AD_E_COMPILE). */
ad_module *ad_module_compile(const char *source, const char *filename, ad_error *err);
/* Free a module and everything it owns (its functions, compiled code). */
void ad_module_free(ad_module *m);
/* For module builders (libadjit): a module whose records live in memory
 * owned by `owner`, freed with free_owner(owner) with the module. */
ad_module *ad_module_wrap(const ad_meta *const *metas, int n, void *owner, void (*free_owner)(void *), ad_error *err);

int ad_module_count(const ad_module *m);
const ad_function *ad_module_function_at(const ad_module *m, int i);
const ad_function *ad_module_function(const ad_module *m, const char *name, ad_error *err);
/* Names, dtypes, declared types, nograd flags and dependences of a function. */
const ad_meta *ad_function_meta(const ad_function *f);
/* The index of a parameter or result by name, or -1. */
int ad_function_param(const ad_function *f, const char *name);
int ad_function_result(const ad_function *f, const char *name);

/* Run f: inputs[nparams] (converted to the parameters' dtypes as needed);
 * results[nresults] are allocated (NULL for a result that is none). */
int ad_call(const ad_function *f, ad_tensor *const *inputs, ad_tensor **results, ad_error *err);

/* paddle.grad at run time: the gradient, for every parameter p with wrt[p]
 * nonzero, of the sum over all results r of <grad_outputs[r], result r>.
 * grad_outputs may be NULL, or hold NULL entries: ones of the result's
 * shape. wrt NULL: every parameter not marked nograd. grads[nparams] gets a
 * new tensor per wanted parameter (NULL otherwise). A wanted parameter that
 * no result depends on is an error (AD_E_GRAD) naming it, unless
 * allow_unused: then its gradient is NULL. */
int ad_grad(const ad_function *f, ad_tensor *const *inputs, ad_tensor *const *grad_outputs, const int *wrt,
            int allow_unused, ad_tensor **grads, ad_error *err);

/* paddle.autograd.backward at run time. ad_forward runs f, returns its
 * results, and keeps what the backward pass needs (the graph). ad_backward
 * adds, to the .grad of every input tensor that is not stop_gradient and
 * whose parameter is not nograd, the gradient of the results seeded by
 * grad_tensors (NULL, or NULL entries: ones). The input tensors must live
 * as long as the graph. With retain_graph, backward may run again (with
 * other seeds); without, the graph is freed and a second backward is an
 * error (AD_E_GRAD), as in Paddle. */
ad_graph *ad_forward(const ad_function *f, ad_tensor *const *inputs, ad_tensor **results, ad_error *err);
int ad_backward(ad_graph *g, ad_tensor *const *grad_tensors, int retain_graph, ad_error *err);
void ad_graph_free(ad_graph *g);
/* Set t's accumulated gradient to zeros (Paddle's clear_grad). */
void ad_clear_grad(ad_tensor *t);

#ifdef __cplusplus
}
#endif

#endif
