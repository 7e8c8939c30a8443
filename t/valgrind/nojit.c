
/*
 * Preloaded into nginx under valgrind ("./build.sh asan"): the code that
 * PCRE2's JIT generates reads whole words past the subject, which
 * valgrind reports as uninitialised (with no symbols to suppress them
 * by).  Failing the JIT compile makes PCRE2 interpret the patterns.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>


int
pcre2_jit_compile_8(pcre2_code_8 *code, uint32_t options)
{
    return PCRE2_ERROR_JIT_BADOPTION;
}
