/* adrt.h: the ad-compile runtime library.
 *
 * Tensors, their I/O (.npy, .json, .csv and JSON literals) and printing;
 * calls of compiled functions, their gradients and their tangents.
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

/* Element types; the codes are those of ad_meta_tensor.dtype. */
typedef enum ad_dtype { AD_F32 = 0, AD_F64 = 1, AD_I32 = 2, AD_I64 = 3 } ad_dtype;

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

/* A zero-filled tensor; NULL on error (AD_E_VALUE for a dtype that is none
 * of the four). */
ad_tensor *ad_tensor_new(ad_dtype dtype, int rank, const int64_t *shape, ad_error *err);
void ad_tensor_free(ad_tensor *t);
int64_t ad_tensor_numel(const ad_tensor *t);
/* Bytes per element: 4 or 8 (0 for a code that is no dtype). */
size_t ad_dtype_size(ad_dtype dtype);
/* "f32", "f64", "i32", "i64" ("?" for a code that is no dtype). */
const char *ad_dtype_name(ad_dtype dtype);
/* Nonzero for AD_I32 and AD_I64. */
int ad_dtype_is_int(ad_dtype dtype);
/* Element i (flat, row-major) as a double. Of an integer tensor it is exact
 * up to 2^53 in magnitude, rounded to the nearest double beyond. */
double ad_tensor_get(const ad_tensor *t, int64_t i);
/* Set element i from a double. An integer tensor gets v truncated toward
 * zero, as a C cast does; where a C cast is undefined, NaN gives 0 and a
 * value outside the type's range its minimum or maximum. */
void ad_tensor_set(ad_tensor *t, int64_t i, double v);
/* Element i as an int64_t: exact for an integer tensor; a float one's value
 * is truncated toward zero (NaN: 0; outside int64's range: its minimum or
 * maximum). */
int64_t ad_tensor_get_i64(const ad_tensor *t, int64_t i);
/* Set element i from an int64_t: an i32 tensor keeps its low 32 bits (two's
 * complement wrap, as converting an int64 to i32 does); a float tensor the
 * nearest float. */
void ad_tensor_set_i64(ad_tensor *t, int64_t i, int64_t v);
/* A copy in another dtype (or the same). Allowed: float to float (f64 to
 * f32 rounds to nearest), integer to float (rounds to nearest beyond 2^24
 * for f32, 2^53 for f64), integer to integer (i64 to i32 keeps the low 32
 * bits: two's complement wrap, as a C cast does on common hosts). Float to
 * integer is refused (AD_E_VALUE, "a float value ... was given for an
 * integer parameter"): a float for an integer parameter is an error; use
 * ad_tensor_convert_exact to convert float values that are integers. */
ad_tensor *ad_tensor_convert(const ad_tensor *t, ad_dtype dtype, ad_error *err);
/* A copy in any dtype, only if every value is kept exactly (a float is an
 * integer within the target's range, an integer fits, an f64 is an f32, an
 * integer is a float); otherwise AD_E_VALUE naming the first element that is
 * not. NaN is kept by a float to float conversion. */
ad_tensor *ad_tensor_convert_exact(const ad_tensor *t, ad_dtype dtype, ad_error *err);
/* "f32[2, 3]", "i64[3]", "f64" (a scalar) */
void ad_tensor_describe(const ad_tensor *t, char *out, size_t n);

/* Set err's code and message (printf-style); returns the code. */
int ad_error_set(ad_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Input: a JSON number or nested array ("1.5", "[[1, 2], [3, 4]]"; the strings
 * "NaN", "Infinity" and "-Infinity" are numbers too). A value whose numbers
 * are all integer literals (no '.', no exponent, no NaN or Infinity: "3",
 * "[0, 2, 1]", also "[]") is i64 (an integer outside int64's range is an
 * error); one with any other number anywhere is f64. */
ad_tensor *ad_parse_json(const char *text, ad_error *err);
/* Input: a .npy, .json or .csv file, chosen by extension; a CSV is a 2-D table.
 * A .json file is read as ad_parse_json reads text; a CSV of integers only
 * is i64, else f64; a .npy file keeps its type: <f4 f32, <f8 f64, <i4 i32,
 * <i8 i64 (big-endian too; bool, int8, int16, uint8 and uint16 become i32,
 * uint32 and uint64 i64, a uint64 above int64's range is an error). */
ad_tensor *ad_read_file(const char *path, ad_error *err);
ad_tensor *ad_read_npy(const char *path, ad_error *err);
ad_tensor *ad_read_csv(const char *path, ad_error *err);
/* The same from bytes in memory; `name` stands for the file in messages. */
ad_tensor *ad_parse_npy(const void *data, size_t len, const char *name, ad_error *err);
ad_tensor *ad_parse_csv(const char *data, size_t len, const char *name, ad_error *err);
/* Write as .npy (<f4, <f8, <i4 or <i8, C order: numpy.save's bytes), through a
 * temporary file and a rename. */
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
 * returned text is malloc'ed; NULL when out of memory. Integers print as
 * integers ("3", "[0, 2, 1]"), never with a decimal point or exponent. */
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

/* Run f: inputs[nparams] (converted to the parameters' dtypes as needed, as
 * ad_tensor_convert does, except that a float tensor for an integer
 * parameter, or an integer that does not fit an i32 one, is an error:
 * AD_E_VALUE naming the parameter); results[nresults] are allocated (NULL
 * for a result that is none). An index out of range (the entry point's
 * AD_ERR_INDEX) is AD_E_VALUE. */
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

/* Forward mode at run time (torch.func.jvp, jax.jvp): f's results at the
 * inputs, and the tangent of each result along the tangents given per
 * parameter, result_tangents[r] = sum_p (d result r / d parameter p)
 * tangents[p], in one forward sweep (f's NAME_jvp entry). tangents may be
 * NULL, or hold NULL entries: zeros. A tangent has its input's shape and its
 * parameter's dtype exactly (AD_E_SHAPE, AD_E_VALUE otherwise); one for an
 * integer or nograd parameter is an error naming it (AD_E_GRAD).
 * results[nresults] may be NULL (not wanted), else it gets f's results as
 * ad_call gives them. result_tangents[nresults] may be NULL too, else it
 * gets a new tensor per float result that is not none, zeros where the
 * result depends on no parameter given a tangent (as
 * torch.autograd.functional.jvp gives), and NULL for an integer or none
 * result. */
int ad_jvp(const ad_function *f, ad_tensor *const *inputs, ad_tensor *const *tangents, ad_tensor **results,
           ad_tensor **result_tangents, ad_error *err);

/* paddle.autograd.backward at run time. ad_forward runs f, returns its
 * results, and keeps what the backward pass needs (the graph). ad_backward
 * adds, to the .grad of every input tensor that is not stop_gradient and
 * whose parameter is not nograd, the gradient of the results seeded by
 * grad_tensors (NULL, or NULL entries: ones); .grad has the tensor's dtype,
 * or the parameter's for an integer tensor given for a float parameter. The
 * input tensors must live as long as the graph. With retain_graph, backward may run again (with
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
