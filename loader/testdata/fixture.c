// A tiny shared library for the loader tests. Built by the tests with `go env CC`.
#include <stdint.h>

int32_t fixture_add(int32_t a, int32_t b) { return a + b; }

double fixture_scale(double x, double k) { return x * k; }

const char *fixture_name(void) { return "fixture"; }

struct fixture_pair {
    int32_t a;
    int64_t b;
    float c;
};

int64_t fixture_pair_sum(struct fixture_pair p) { return (int64_t)p.a + p.b + (int64_t)p.c; }
