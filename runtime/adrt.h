/* adrt.h: the ad-compile runtime library.
 *
 * Tensors, their I/O (.npy, .json, .csv and JSON literals) and printing.
 * Every function that can fail takes an ad_error and returns NULL or a
 * nonzero code with a message in it; nothing in the library prints or exits. */
#ifndef ADRT_H
#define ADRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AD_MAX_RANK 16

typedef enum ad_dtype { AD_F32 = 0, AD_F64 = 1 } ad_dtype;

/* Error codes of the runtime library. */
enum {
	AD_OK = 0,
	AD_E_VALUE = 1,   /* a malformed value or file: bad JSON, ragged arrays, bad .npy */
	AD_E_SHAPE = 2,   /* shapes or dimensions do not fit what is expected */
	AD_E_NOMEM = 3,   /* out of memory */
	AD_E_IO = 4,      /* a file could not be read or written */
	AD_E_COMPILE = 5, /* the program has errors (diagnostics in the message) */
	AD_E_NAME = 6,    /* an unknown or missing function, parameter or result */
	AD_E_INTERNAL = 7 /* a bug in ad-compile */
};

typedef struct ad_error {
	int code;
	char msg[1024];
} ad_error;

typedef struct ad_tensor {
	ad_dtype dtype;
	int rank;
	int64_t shape[AD_MAX_RANK];
	void *data; /* contiguous, row-major; owned by the tensor */
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
/* Write as .npy (<f4 or <f8, C order), through a temporary file and a rename. */
int ad_write_npy(const char *path, const ad_tensor *t, ad_error *err);
/* Write bytes to path atomically (temporary file in the same directory, then
 * rename), so an error never leaves a truncated file or destroys an old one. */
int ad_write_file_atomic(const char *path, const void *data, size_t len, ad_error *err);

/* Output formats of named results; a NULL tensor is a none result. The
 * returned text is malloc'ed; NULL when out of memory. */
char *ad_format_json(const char *const *names, const ad_tensor *const *ts, int n);
char *ad_format_text(const char *const *names, const ad_tensor *const *ts, int n);
char *ad_format_csv(const char *const *names, const ad_tensor *const *ts, int n);

#ifdef __cplusplus
}
#endif

#endif
