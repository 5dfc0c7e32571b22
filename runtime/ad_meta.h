#ifndef AD_META_DEFINED
#define AD_META_DEFINED
/* clang-format off */
/* ad_meta: what the runtime (adrt.h) needs to know of a compiled function.
 * Every function emitted by ad-compile has one, named NAME_meta. Shapes are
 * passed as arrays of AD_META_MAX_RANK entries per tensor; dims[] holds the
 * symbolic dimensions in the order of the function's signature. */
#define AD_META_VERSION 3
#define AD_META_MAX_RANK 16
/* Status codes, defined once for the emitted code and the runtime library
 * (adrt.h), so that an emitted header and adrt.h may be included in any
 * order. Emitted entry points return AD_OK or an AD_ERR_* code; the
 * runtime library returns AD_OK or an AD_E_* code (AD_E_NOMEM is
 * AD_ERR_NOMEM). */
enum ad_status {
    AD_OK = 0,
    AD_ERR_DIM = 1,     /* a dimension is negative, too large or inconsistent */
    AD_ERR_NOMEM = 2,   /* out of memory */
    AD_ERR_INDEX = 3,   /* an index out of range */
    AD_ERR_LINALG = 4,  /* a singular or not positive definite matrix */
    AD_E_NOMEM = AD_ERR_NOMEM,
    AD_E_VALUE = 16,    /* a malformed value or file: bad JSON, ragged arrays, bad .npy */
    AD_E_SHAPE = 17,    /* shapes or dimensions do not fit what is expected */
    AD_E_IO = 18,       /* a file could not be read or written */
    AD_E_COMPILE = 19,  /* the program has errors (diagnostics in the message) */
    AD_E_NAME = 20,     /* an unknown or missing function, parameter or result */
    AD_E_INTERNAL = 21, /* a bug in ad-compile */
    AD_E_GRAD = 22      /* a gradient that cannot be had: with respect to a nograd or
                           unused parameter, or after the graph was freed */
};
/* Which index was out of range: when an entry point returns AD_ERR_INDEX,
 * its scratch memory starts with this record (its _work_size is at least
 * sizeof(ad_index_error) when it checks indices; NAME and NAME_call with
 * work NULL allocate their own, and the record goes with it). After
 * AD_ERR_LINALG the same record says which matrix: check is the op
 * ("cholesky", "solve"), index the matrix's position in the batch (row-major
 * over the batch axes), bound why (an ad_linalg_why). */
typedef struct ad_index_error {
    const char *check; /* the indices as written and where: "'x[ids]' at t.ad:2:9" (NULL: unknown) */
    int64_t index;     /* the index */
    int64_t bound;     /* the size of the axis it indexes: it must be in [0, bound) */
} ad_index_error;
enum ad_linalg_why {
    AD_LINALG_NOT_PD = 1,  /* not positive definite (cholesky) */
    AD_LINALG_SINGULAR = 2 /* a zero pivot after partial pivoting (solve, inv) */
};
/* The entry points a function was emitted with (ad-compile --entry), as
 * bits of ad_meta.entries. */
enum ad_entry {
    AD_ENTRY_PLAIN = 1, /* NAME, which allocates its own scratch memory */
    AD_ENTRY_WORK = 2,  /* NAME_work and NAME_work_size */
    AD_ENTRY_VJP = 4,   /* NAME_vjp, NAME_vjp_work, NAME_vjp_work_size */
    AD_ENTRY_SPLIT = 8, /* NAME_forward, NAME_backward and their sizes */
    AD_ENTRY_JVP = 16,  /* NAME_jvp, NAME_jvp_work, NAME_jvp_work_size */
    AD_ENTRY_ALL = 31
};
typedef struct ad_meta_tensor {
    const char *name;
    int dtype;        /* 0: f32, 1: f64, 2: i32, 3: i64 (adrt.h's ad_dtype) */
    int rank;
    const char *type; /* as declared, for messages: "f32[n, 3]" */
    int nograd;       /* a parameter marked nograd */
    int none;         /* a result that is always none (zeros) */
} ad_meta_tensor;
typedef struct ad_meta {
    int version;      /* AD_META_VERSION */
    const char *name;
    int ndims;
    const char *const *dims;
    int nparams;
    const ad_meta_tensor *params;
    int nresults;
    const ad_meta_tensor *results;
    const unsigned char *depends; /* [r * nparams + p]: result r depends on parameter p */
    int nconstraints;
    const char *const *constraints; /* messages of the run-time conditions */
    /* dims from the parameters' shapes: 0; 1 if shape[*where] does not fit;
     * 2 if condition constraints[*where] fails */
    int (*bind)(const int64_t *shapes, int64_t *dims, int *where);
    /* the results' shapes (nresults x AD_META_MAX_RANK) */
    int (*shapes)(const int64_t *dims, int64_t *shapes);
    size_t (*work_size)(const int64_t *dims);
    int (*call)(const int64_t *dims, const void *const *in, void *const *out, void *work);
    /* in: parameters, then a seed per result not none (NULL: ones);
     * out: results, then a gradient per parameter not nograd (NULL: skipped) */
    size_t (*vjp_work_size)(const int64_t *dims);
    int (*vjp)(const int64_t *dims, const void *const *in, void *const *out, void *work);
    /* in: parameters, then a tangent per parameter not nograd (NULL: zeros);
     * out: results, then a tangent per float result not none (NULL: skipped) */
    size_t (*jvp_work_size)(const int64_t *dims);
    int (*jvp)(const int64_t *dims, const void *const *in, void *const *out, void *work);
    size_t (*saved_size)(const int64_t *dims);
    size_t (*forward_work_size)(const int64_t *dims);
    int (*forward)(const int64_t *dims, const void *const *in, void *const *out, void *saved, void *work);
    size_t (*backward_work_size)(const int64_t *dims);
    int (*backward)(const int64_t *dims, const void *const *in, const void *const *seeds, void *const *grads,
                    const void *saved, void *work);
    /* AD_ENTRY_* bits: the entry points emitted. Without PLAIN and WORK,
     * work_size and call are NULL; without VJP, vjp_work_size and vjp;
     * without JVP, jvp_work_size and jvp; without SPLIT, the
     * forward/backward pair. (vjp, jvp and forward are also NULL when the
     * function has nothing to differentiate.) */
    unsigned entries;
} ad_meta;
#endif
