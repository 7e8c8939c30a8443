
/*
 * A minimal TAP producer for the engine's C unit tests; prove runs the
 * test binaries and reads their output.
 */


#ifndef _CM_TAP_H_INCLUDED_
#define _CM_TAP_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <string.h>


static int  tap_n;
static int  tap_failed;


/* a test's name is a printf format, and its arguments follow it */

static void tap_vok(int pass, const char *file, int line, const char *name,
    va_list args);
static void tap_ok(int pass, const char *file, int line, const char *name,
    ...) __attribute__((format(printf, 4, 5), unused));
static void tap_is_int(long got, long want, const char *file, int line,
    const char *name, ...) __attribute__((format(printf, 5, 6), unused));
static void tap_is_str(const char *got, size_t glen, const char *want,
    const char *file, int line, const char *name, ...)
    __attribute__((format(printf, 6, 7), unused));


#define ok(cond, ...)                                                        \
    tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define is_int(got, want, ...)                                               \
    tap_is_int((long) (got), (long) (want), __FILE__, __LINE__, __VA_ARGS__)

#define is_str(got, glen, want, ...)                                         \
    tap_is_str((const char *) (got), (glen), (want), __FILE__, __LINE__,     \
               __VA_ARGS__)


static void
tap_vok(int pass, const char *file, int line, const char *name,
    va_list args)
{
    tap_n++;

    if (!pass) {
        tap_failed++;
    }

    printf("%sok %d - ", pass ? "" : "not ", tap_n);
    vprintf(name, args);
    printf("\n");

    if (!pass) {
        printf("#   failed at %s line %d\n", file, line);
    }
}


static void
tap_ok(int pass, const char *file, int line, const char *name, ...)
{
    va_list  args;

    va_start(args, name);
    tap_vok(pass, file, line, name, args);
    va_end(args);
}


static void
tap_is_int(long got, long want, const char *file, int line, const char *name,
    ...)
{
    va_list  args;

    va_start(args, name);
    tap_vok(got == want, file, line, name, args);
    va_end(args);

    if (got != want) {
        printf("#   got: %ld\n#   expected: %ld\n", got, want);
    }
}


static void
tap_is_str(const char *got, size_t glen, const char *want, const char *file,
    int line, const char *name, ...)
{
    int      pass;
    va_list  args;

    pass = got != NULL && glen == strlen(want)
           && memcmp(got, want, glen) == 0;

    va_start(args, name);
    tap_vok(pass, file, line, name, args);
    va_end(args);

    if (!pass) {
        printf("#   got: '%.*s'\n#   expected: '%s'\n",
               got ? (int) glen : 6, got ? got : "(null)", want);
    }
}


static int
tap_done(void)
{
    printf("1..%d\n", tap_n);

    return tap_failed ? 1 : 0;
}


#endif /* _CM_TAP_H_INCLUDED_ */
