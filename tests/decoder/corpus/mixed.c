/* Compiler-generated code of many shapes: switch tables, string loops,
 * 64-bit arithmetic on a 32-bit target, x87/SSE floating point, vector
 * loops the auto-vectorizer turns into SSE/AVX/AVX-512 per -march. */
#include <stddef.h>
#include <stdint.h>

struct node { struct node *next; int key; double weight; };

int classify(int c)
{
    switch (c) {
    case 0: return 10; case 1: return 7; case 2: return 33; case 3: return 4;
    case 4: return 91; case 5: return 12; case 6: return 8; case 7: return 64;
    default: return -1;
    }
}

size_t my_strlen(const char *s) { const char *p = s; while (*p) p++; return (size_t)(p - s); }

void *my_memcpy(void *d, const void *s, size_t n)
{
    unsigned char *dd = d; const unsigned char *ss = s;
    while (n--) *dd++ = *ss++;
    return d;
}

uint64_t mul64(uint64_t a, uint64_t b) { return a * b + (a >> 7) / (b | 1); }
int64_t div64(int64_t a, int64_t b) { return b ? a / b + a % b : 0; }

double norm(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i] * v[i];
    return s / (n ? n : 1);
}

float saxpy(float *y, const float *x, float a, int n)
{
    float acc = 0;
    for (int i = 0; i < n; i++) { y[i] += a * x[i]; acc += y[i]; }
    return acc;
}

void add_bytes(uint8_t *restrict d, const uint8_t *restrict a, const uint8_t *restrict b, int n)
{
    for (int i = 0; i < n; i++) d[i] = (uint8_t)(a[i] + b[i] > 255 ? 255 : a[i] + b[i]);
}

int sum_list(const struct node *n)
{
    int s = 0;
    for (; n; n = n->next) s += n->key * (int)n->weight;
    return s;
}

unsigned popcount_all(const uint32_t *w, int n)
{
    unsigned c = 0;
    for (int i = 0; i < n; i++) c += (unsigned)__builtin_popcount(w[i]) + (unsigned)__builtin_ctz(w[i] | 1);
    return c;
}

long double ext(long double x) { return x * 3.0L + 1.0L / (x + 2.0L); }

int call_indirect(int (*f)(int), int x) { return f(x) + f(x + 1); }
