/* tests/unit/t.h: a tiny unit-test frame: each test is a function, each
 * check prints where it failed, main prints "N passed, N failed". */
#ifndef SL_T_H
#define SL_T_H

#include <stdio.h>
#include <string.h>

static int t_failed_checks;
static int t_passed, t_failed;

#define T_CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        t_failed_checks++; \
    } } while (0)

#define T_EQ_INT(a, b) do { \
    long long t_a = (long long)(a), t_b = (long long)(b); \
    if (t_a != t_b) { \
        fprintf(stderr, "  %s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
                __LINE__, #a, t_a, #b, t_b); \
        t_failed_checks++; \
    } } while (0)

#define T_EQ_STR(a, b) do { \
    const char *t_a = (a), *t_b = (b); \
    if (t_a == NULL || t_b == NULL || strcmp(t_a, t_b) != 0) { \
        fprintf(stderr, "  %s:%d: %s is \"%s\", expected \"%s\"\n", __FILE__, \
                __LINE__, #a, t_a ? t_a : "(null)", t_b ? t_b : "(null)"); \
        t_failed_checks++; \
    } } while (0)

#define T_RUN(fn) do { \
    int t_before = t_failed_checks; \
    fn(); \
    if (t_failed_checks == t_before) { t_passed++; printf("ok %s\n", #fn); } \
    else { t_failed++; printf("not ok %s\n", #fn); } \
    } while (0)

#define T_SKIP(fn, why) printf("ok %s # SKIP %s\n", #fn, why)

#define T_DONE() (printf("%d passed, %d failed\n", t_passed, t_failed), t_failed ? 1 : 0)

#endif
