/* emit_int.h: the integer arithmetic of emitted code, put after the
 * prelude in files that use it (as C strings, like emit_prelude.h).
 * Python's floor division and modulo; a division by zero gives 0, as
 * NumPy's integer division does (with a warning there); the one overflow,
 * INT64_MIN // -1, wraps. A float converted to an integer truncates toward
 * zero (NumPy's astype); NaN and values out of range give INT64_MIN, as
 * NumPy does on x86-64, instead of C's undefined behaviour.
 */
/* clang-format off */
static inline int64_t ad_floordiv_(int64_t a, int64_t b)
{
    if (b == 0)
        return 0;
    if (b == -1)
        return (int64_t)(0 - (uint64_t)a);
    int64_t q = a / b;
    return a % b != 0 && (a < 0) != (b < 0) ? q - 1 : q;
}

static inline int64_t ad_mod_(int64_t a, int64_t b)
{
    if (b == 0 || b == -1)
        return 0;
    int64_t r = a % b;
    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}

static inline int64_t ad_to_int_(double x)
{
    return x > -9223372036854775808.0 && x < 9223372036854775808.0 ? (int64_t)x : INT64_MIN;
}
