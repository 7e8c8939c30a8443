/*
 * cm_view_raw() and cm_view_norm(): the disguises of gambling spam undone,
 * the offset map exact, any input safe.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "cm_engine.h"
#include "cm_confusables.h"
#include "tap.h"


/* relative to the top of the work tree, where the tests run */
/* the repository's top, given by build.sh; the corpus ships in t/corpus */
#ifndef CM_TEST_TOP
#define CM_TEST_TOP  "."
#endif

#define TK_CORPUS  CM_TEST_TOP "/t/corpus/judol-youtube-id.dev.tsv"

/* an arena block's header; keeps the memory after it aligned */
#define TK_HEADER  16

/* a literal in, its normalised view out */
#define tk_is(in, want, name)  tk_norm_is(in, sizeof(in) - 1, want, name)


typedef struct {
    size_t                live;      /* blocks allocated, not freed */
    size_t                left;      /* allocations that may succeed */
} tk_mem_t;

typedef struct {
    void                 *blocks;    /* each starts with the next one */
    size_t                n;
} tk_arena_t;

typedef struct {
    const char           *in;
    const char           *out;
} tk_pair_t;


static void *tk_alloc(void *data, size_t size);
static void *tk_alloc_limited(void *data, size_t size);
static void tk_free(void *data, void *p);
static void *tk_arena_alloc(void *data, size_t size);
static void tk_arena_free_all(tk_arena_t *arena);
static int tk_view_valid(const cm_view_t *v, size_t len);
static int tk_map_whole(const cm_view_t *v);
static void tk_norm_is(const char *in, size_t len, const char *want,
    const char *name);
static void tk_map_is(const char *in, const char *want, const uint32_t *map,
    const char *name);
static void test_tables(void);
static void test_disguises(void);
static void test_map(void);
static void test_entities(void);
static void test_invalid(void);
static void test_raw(void);
static void test_plain(void);
static void test_blanks(void);
static void test_scripts(void);
static void test_invisible(void);
static void test_digits(void);
static void test_digits_all(void);
static void test_kept(void);
static void test_kept_arabic(void);
static size_t tk_utf8(uint32_t c, uint8_t *b);
static void test_obfuscation_file(void);
static void test_memory(void);
static void test_every_code_point(void);
static void test_corpus(void);
static void test_letters(void);
static void tk_letters_is(const char *in, const char *want,
    const char *name);


static tk_mem_t    tk_mem;
static cm_alloc_t  tk_tracked = { tk_alloc, tk_free, &tk_mem };


/*
 * Every entry of gbennnn/judol-comment-classification's obfuscation
 * mapping (MIT, as t/corpus/README.md says): a styled letter or digit,
 * seen in real spam, and the plain one.
 */

static const tk_pair_t  tk_obfuscation[] = {
    { "\360\235\237\230", "0" },            /* U+1D7D8 */
    { "0\342\203\243", "0" },               /* U+0030 U+20E3 */
    { "0\357\270\217\342\203\243", "0" },   /* U+0030 U+FE0F U+20E3 */
    { "\342\201\260", "0" },                /* U+2070 */
    { "\342\223\252", "0" },                /* U+24EA */
    { "\343\200\2200\343\200\221", "0" },   /* U+3010 U+0030 U+3011 */
    { "\343\200\2160\343\200\217", "0" },   /* U+300E U+0030 U+300F */
    { "\342\211\2130", "0" },               /* U+224B U+0030 */
    { "\342\226\2210", "0" },               /* U+2591 U+0030 */
    { "0\314\276", "0" },                   /* U+0030 U+033E */
    { "0\314\275", "0" },                   /* U+0030 U+033D */
    { "\360\235\237\231", "1" },            /* U+1D7D9 */
    { "1\342\203\243", "1" },               /* U+0031 U+20E3 */
    { "1\357\270\217\342\203\243", "1" },   /* U+0031 U+FE0F U+20E3 */
    { "\302\271", "1" },                    /* U+00B9 */
    { "\342\221\240", "1" },                /* U+2460 */
    { "\343\200\2201\343\200\221", "1" },   /* U+3010 U+0031 U+3011 */
    { "\343\200\2161\343\200\217", "1" },   /* U+300E U+0031 U+300F */
    { "\342\211\2131", "1" },               /* U+224B U+0031 */
    { "\342\226\2211", "1" },               /* U+2591 U+0031 */
    { "1\314\276", "1" },                   /* U+0031 U+033E */
    { "1\314\275", "1" },                   /* U+0031 U+033D */
    { "\360\235\237\232", "2" },            /* U+1D7DA */
    { "2\342\203\243", "2" },               /* U+0032 U+20E3 */
    { "2\357\270\217\342\203\243", "2" },   /* U+0032 U+FE0F U+20E3 */
    { "\302\262", "2" },                    /* U+00B2 */
    { "\342\221\241", "2" },                /* U+2461 */
    { "\343\200\2202\343\200\221", "2" },   /* U+3010 U+0032 U+3011 */
    { "\343\200\2162\343\200\217", "2" },   /* U+300E U+0032 U+300F */
    { "\342\211\2132", "2" },               /* U+224B U+0032 */
    { "\342\226\2212", "2" },               /* U+2591 U+0032 */
    { "2\314\276", "2" },                   /* U+0032 U+033E */
    { "2\314\275", "2" },                   /* U+0032 U+033D */
    { "\360\235\237\233", "3" },            /* U+1D7DB */
    { "3\342\203\243", "3" },               /* U+0033 U+20E3 */
    { "3\357\270\217\342\203\243", "3" },   /* U+0033 U+FE0F U+20E3 */
    { "\302\263", "3" },                    /* U+00B3 */
    { "\342\221\242", "3" },                /* U+2462 */
    { "\343\200\2203\343\200\221", "3" },   /* U+3010 U+0033 U+3011 */
    { "\343\200\2163\343\200\217", "3" },   /* U+300E U+0033 U+300F */
    { "\342\211\2133", "3" },               /* U+224B U+0033 */
    { "\342\226\2213", "3" },               /* U+2591 U+0033 */
    { "3\314\276", "3" },                   /* U+0033 U+033E */
    { "3\314\275", "3" },                   /* U+0033 U+033D */
    { "\360\235\237\234", "4" },            /* U+1D7DC */
    { "4\342\203\243", "4" },               /* U+0034 U+20E3 */
    { "4\357\270\217\342\203\243", "4" },   /* U+0034 U+FE0F U+20E3 */
    { "\342\201\264", "4" },                /* U+2074 */
    { "\342\221\243", "4" },                /* U+2463 */
    { "\343\200\2204\343\200\221", "4" },   /* U+3010 U+0034 U+3011 */
    { "\343\200\2164\343\200\217", "4" },   /* U+300E U+0034 U+300F */
    { "\342\211\2134", "4" },               /* U+224B U+0034 */
    { "\342\226\2214", "4" },               /* U+2591 U+0034 */
    { "4\314\276", "4" },                   /* U+0034 U+033E */
    { "4\314\275", "4" },                   /* U+0034 U+033D */
    { "\360\235\237\235", "5" },            /* U+1D7DD */
    { "5\342\203\243", "5" },               /* U+0035 U+20E3 */
    { "5\357\270\217\342\203\243", "5" },   /* U+0035 U+FE0F U+20E3 */
    { "\342\201\265", "5" },                /* U+2075 */
    { "\342\221\244", "5" },                /* U+2464 */
    { "\343\200\2205\343\200\221", "5" },   /* U+3010 U+0035 U+3011 */
    { "\343\200\2165\343\200\217", "5" },   /* U+300E U+0035 U+300F */
    { "\342\211\2135", "5" },               /* U+224B U+0035 */
    { "\342\226\2215", "5" },               /* U+2591 U+0035 */
    { "5\314\276", "5" },                   /* U+0035 U+033E */
    { "5\314\275", "5" },                   /* U+0035 U+033D */
    { "\360\235\237\236", "6" },            /* U+1D7DE */
    { "6\342\203\243", "6" },               /* U+0036 U+20E3 */
    { "6\357\270\217\342\203\243", "6" },   /* U+0036 U+FE0F U+20E3 */
    { "\342\201\266", "6" },                /* U+2076 */
    { "\342\221\245", "6" },                /* U+2465 */
    { "\343\200\2206\343\200\221", "6" },   /* U+3010 U+0036 U+3011 */
    { "\343\200\2166\343\200\217", "6" },   /* U+300E U+0036 U+300F */
    { "\342\211\2136", "6" },               /* U+224B U+0036 */
    { "\342\226\2216", "6" },               /* U+2591 U+0036 */
    { "6\314\276", "6" },                   /* U+0036 U+033E */
    { "6\314\275", "6" },                   /* U+0036 U+033D */
    { "\360\235\237\237", "7" },            /* U+1D7DF */
    { "7\342\203\243", "7" },               /* U+0037 U+20E3 */
    { "7\357\270\217\342\203\243", "7" },   /* U+0037 U+FE0F U+20E3 */
    { "\342\201\267", "7" },                /* U+2077 */
    { "\342\221\246", "7" },                /* U+2466 */
    { "\343\200\2207\343\200\221", "7" },   /* U+3010 U+0037 U+3011 */
    { "\343\200\2167\343\200\217", "7" },   /* U+300E U+0037 U+300F */
    { "\342\211\2137", "7" },               /* U+224B U+0037 */
    { "\342\226\2217", "7" },               /* U+2591 U+0037 */
    { "7\314\276", "7" },                   /* U+0037 U+033E */
    { "7\314\275", "7" },                   /* U+0037 U+033D */
    { "\360\235\237\240", "8" },            /* U+1D7E0 */
    { "8\342\203\243", "8" },               /* U+0038 U+20E3 */
    { "8\357\270\217\342\203\243", "8" },   /* U+0038 U+FE0F U+20E3 */
    { "\342\201\270", "8" },                /* U+2078 */
    { "\342\221\247", "8" },                /* U+2467 */
    { "\343\200\2208\343\200\221", "8" },   /* U+3010 U+0038 U+3011 */
    { "\343\200\2168\343\200\217", "8" },   /* U+300E U+0038 U+300F */
    { "\342\211\2138", "8" },               /* U+224B U+0038 */
    { "\342\226\2218", "8" },               /* U+2591 U+0038 */
    { "8\314\276", "8" },                   /* U+0038 U+033E */
    { "8\314\275", "8" },                   /* U+0038 U+033D */
    { "\360\235\237\241", "9" },            /* U+1D7E1 */
    { "9\342\203\243", "9" },               /* U+0039 U+20E3 */
    { "9\357\270\217\342\203\243", "9" },   /* U+0039 U+FE0F U+20E3 */
    { "\342\201\271", "9" },                /* U+2079 */
    { "\342\221\250", "9" },                /* U+2468 */
    { "\343\200\2209\343\200\221", "9" },   /* U+3010 U+0039 U+3011 */
    { "\343\200\2169\343\200\217", "9" },   /* U+300E U+0039 U+300F */
    { "\342\211\2139", "9" },               /* U+224B U+0039 */
    { "\342\226\2219", "9" },               /* U+2591 U+0039 */
    { "9\314\276", "9" },                   /* U+0039 U+033E */
    { "9\314\275", "9" },                   /* U+0039 U+033D */
    { "\360\235\225\222", "a" },            /* U+1D552 */
    { "\357\275\201", "a" },                /* U+FF41 */
    { "\341\264\200", "a" },                /* U+1D00 */
    { "\360\237\204\260", "a" },            /* U+1F130 */
    { "\360\237\205\260", "a" },            /* U+1F170 */
    { "\342\223\220", "a" },                /* U+24D0 */
    { "\360\235\231\226", "a" },            /* U+1D656 */
    { "\360\235\220\232", "a" },            /* U+1D41A */
    { "\360\235\227\256", "a" },            /* U+1D5EE */
    { "\343\200\220a\343\200\221", "a" },   /* U+3010 U+0061 U+3011 */
    { "\343\200\216a\343\200\217", "a" },   /* U+300E U+0061 U+300F */
    { "\360\235\225\223", "b" },            /* U+1D553 */
    { "\357\275\202", "b" },                /* U+FF42 */
    { "\312\231", "b" },                    /* U+0299 */
    { "\360\237\204\261", "b" },            /* U+1F131 */
    { "\360\237\205\261", "b" },            /* U+1F171 */
    { "\342\223\221", "b" },                /* U+24D1 */
    { "\360\235\231\227", "b" },            /* U+1D657 */
    { "\360\235\220\233", "b" },            /* U+1D41B */
    { "\360\235\227\257", "b" },            /* U+1D5EF */
    { "\343\200\220b\343\200\221", "b" },   /* U+3010 U+0062 U+3011 */
    { "\343\200\216b\343\200\217", "b" },   /* U+300E U+0062 U+300F */
    { "\360\235\225\224", "c" },            /* U+1D554 */
    { "\357\275\203", "c" },                /* U+FF43 */
    { "\341\264\204", "c" },                /* U+1D04 */
    { "\360\237\204\262", "c" },            /* U+1F132 */
    { "\360\237\205\262", "c" },            /* U+1F172 */
    { "\342\223\222", "c" },                /* U+24D2 */
    { "\360\235\231\230", "c" },            /* U+1D658 */
    { "\360\235\220\234", "c" },            /* U+1D41C */
    { "\360\235\227\260", "c" },            /* U+1D5F0 */
    { "\343\200\220c\343\200\221", "c" },   /* U+3010 U+0063 U+3011 */
    { "\343\200\216c\343\200\217", "c" },   /* U+300E U+0063 U+300F */
    { "\360\235\225\225", "d" },            /* U+1D555 */
    { "\357\275\204", "d" },                /* U+FF44 */
    { "\341\264\205", "d" },                /* U+1D05 */
    { "\360\237\204\263", "d" },            /* U+1F133 */
    { "\360\237\205\263", "d" },            /* U+1F173 */
    { "\342\223\223", "d" },                /* U+24D3 */
    { "\360\235\231\231", "d" },            /* U+1D659 */
    { "\360\235\220\235", "d" },            /* U+1D41D */
    { "\360\235\227\261", "d" },            /* U+1D5F1 */
    { "\343\200\220d\343\200\221", "d" },   /* U+3010 U+0064 U+3011 */
    { "\343\200\216d\343\200\217", "d" },   /* U+300E U+0064 U+300F */
    { "\360\235\225\226", "e" },            /* U+1D556 */
    { "\357\275\205", "e" },                /* U+FF45 */
    { "\341\264\207", "e" },                /* U+1D07 */
    { "\360\237\204\264", "e" },            /* U+1F134 */
    { "\360\237\205\264", "e" },            /* U+1F174 */
    { "\342\223\224", "e" },                /* U+24D4 */
    { "\360\235\231\232", "e" },            /* U+1D65A */
    { "\360\235\220\236", "e" },            /* U+1D41E */
    { "\360\235\227\262", "e" },            /* U+1D5F2 */
    { "\343\200\220e\343\200\221", "e" },   /* U+3010 U+0065 U+3011 */
    { "\343\200\216e\343\200\217", "e" },   /* U+300E U+0065 U+300F */
    { "\360\235\225\227", "f" },            /* U+1D557 */
    { "\357\275\206", "f" },                /* U+FF46 */
    { "\352\234\260", "f" },                /* U+A730 */
    { "\360\237\204\265", "f" },            /* U+1F135 */
    { "\360\237\205\265", "f" },            /* U+1F175 */
    { "\342\223\225", "f" },                /* U+24D5 */
    { "\360\235\231\233", "f" },            /* U+1D65B */
    { "\360\235\220\237", "f" },            /* U+1D41F */
    { "\360\235\227\263", "f" },            /* U+1D5F3 */
    { "\343\200\220f\343\200\221", "f" },   /* U+3010 U+0066 U+3011 */
    { "\343\200\216f\343\200\217", "f" },   /* U+300E U+0066 U+300F */
    { "\360\235\225\230", "g" },            /* U+1D558 */
    { "\357\275\207", "g" },                /* U+FF47 */
    { "\311\242", "g" },                    /* U+0262 */
    { "\360\237\204\266", "g" },            /* U+1F136 */
    { "\360\237\205\266", "g" },            /* U+1F176 */
    { "\342\223\226", "g" },                /* U+24D6 */
    { "\360\235\231\234", "g" },            /* U+1D65C */
    { "\360\235\220\240", "g" },            /* U+1D420 */
    { "\360\235\227\264", "g" },            /* U+1D5F4 */
    { "\343\200\220g\343\200\221", "g" },   /* U+3010 U+0067 U+3011 */
    { "\343\200\216g\343\200\217", "g" },   /* U+300E U+0067 U+300F */
    { "\360\235\225\231", "h" },            /* U+1D559 */
    { "\357\275\210", "h" },                /* U+FF48 */
    { "\312\234", "h" },                    /* U+029C */
    { "\360\237\204\267", "h" },            /* U+1F137 */
    { "\360\237\205\267", "h" },            /* U+1F177 */
    { "\342\223\227", "h" },                /* U+24D7 */
    { "\360\235\231\235", "h" },            /* U+1D65D */
    { "\360\235\220\241", "h" },            /* U+1D421 */
    { "\360\235\227\265", "h" },            /* U+1D5F5 */
    { "\343\200\220h\343\200\221", "h" },   /* U+3010 U+0068 U+3011 */
    { "\343\200\216h\343\200\217", "h" },   /* U+300E U+0068 U+300F */
    { "\360\235\225\232", "i" },            /* U+1D55A */
    { "\357\275\211", "i" },                /* U+FF49 */
    { "\311\252", "i" },                    /* U+026A */
    { "\360\237\204\270", "i" },            /* U+1F138 */
    { "\360\237\205\270", "i" },            /* U+1F178 */
    { "\342\223\230", "i" },                /* U+24D8 */
    { "\360\235\231\236", "i" },            /* U+1D65E */
    { "\360\235\220\242", "i" },            /* U+1D422 */
    { "\360\235\227\266", "i" },            /* U+1D5F6 */
    { "\343\200\220i\343\200\221", "i" },   /* U+3010 U+0069 U+3011 */
    { "\343\200\216i\343\200\217", "i" },   /* U+300E U+0069 U+300F */
    { "\360\235\225\233", "j" },            /* U+1D55B */
    { "\357\275\212", "j" },                /* U+FF4A */
    { "\341\264\212", "j" },                /* U+1D0A */
    { "\360\237\204\271", "j" },            /* U+1F139 */
    { "\360\237\205\271", "j" },            /* U+1F179 */
    { "\342\223\231", "j" },                /* U+24D9 */
    { "\360\235\231\237", "j" },            /* U+1D65F */
    { "\360\235\220\243", "j" },            /* U+1D423 */
    { "\360\235\227\267", "j" },            /* U+1D5F7 */
    { "\343\200\220j\343\200\221", "j" },   /* U+3010 U+006A U+3011 */
    { "\343\200\216j\343\200\217", "j" },   /* U+300E U+006A U+300F */
    { "\360\235\225\234", "k" },            /* U+1D55C */
    { "\357\275\213", "k" },                /* U+FF4B */
    { "\341\264\213", "k" },                /* U+1D0B */
    { "\360\237\204\272", "k" },            /* U+1F13A */
    { "\360\237\205\272", "k" },            /* U+1F17A */
    { "\342\223\232", "k" },                /* U+24DA */
    { "\360\235\231\240", "k" },            /* U+1D660 */
    { "\360\235\220\244", "k" },            /* U+1D424 */
    { "\360\235\227\270", "k" },            /* U+1D5F8 */
    { "\343\200\220k\343\200\221", "k" },   /* U+3010 U+006B U+3011 */
    { "\343\200\216k\343\200\217", "k" },   /* U+300E U+006B U+300F */
    { "\360\235\225\235", "l" },            /* U+1D55D */
    { "\357\275\214", "l" },                /* U+FF4C */
    { "\312\237", "l" },                    /* U+029F */
    { "\360\237\204\273", "l" },            /* U+1F13B */
    { "\360\237\205\273", "l" },            /* U+1F17B */
    { "\342\223\233", "l" },                /* U+24DB */
    { "\360\235\231\241", "l" },            /* U+1D661 */
    { "\360\235\220\245", "l" },            /* U+1D425 */
    { "\360\235\227\271", "l" },            /* U+1D5F9 */
    { "\343\200\220l\343\200\221", "l" },   /* U+3010 U+006C U+3011 */
    { "\343\200\216l\343\200\217", "l" },   /* U+300E U+006C U+300F */
    { "\360\235\225\236", "m" },            /* U+1D55E */
    { "\357\275\215", "m" },                /* U+FF4D */
    { "\341\264\215", "m" },                /* U+1D0D */
    { "\360\237\204\274", "m" },            /* U+1F13C */
    { "\360\237\205\274", "m" },            /* U+1F17C */
    { "\342\223\234", "m" },                /* U+24DC */
    { "\360\235\231\242", "m" },            /* U+1D662 */
    { "\360\235\220\246", "m" },            /* U+1D426 */
    { "\360\235\227\272", "m" },            /* U+1D5FA */
    { "\343\200\220m\343\200\221", "m" },   /* U+3010 U+006D U+3011 */
    { "\343\200\216m\343\200\217", "m" },   /* U+300E U+006D U+300F */
    { "\360\235\225\237", "n" },            /* U+1D55F */
    { "\357\275\216", "n" },                /* U+FF4E */
    { "\311\264", "n" },                    /* U+0274 */
    { "\360\237\204\275", "n" },            /* U+1F13D */
    { "\360\237\205\275", "n" },            /* U+1F17D */
    { "\342\223\235", "n" },                /* U+24DD */
    { "\360\235\231\243", "n" },            /* U+1D663 */
    { "\360\235\220\247", "n" },            /* U+1D427 */
    { "\360\235\227\273", "n" },            /* U+1D5FB */
    { "\343\200\220n\343\200\221", "n" },   /* U+3010 U+006E U+3011 */
    { "\343\200\216n\343\200\217", "n" },   /* U+300E U+006E U+300F */
    { "\360\235\225\240", "o" },            /* U+1D560 */
    { "\357\275\217", "o" },                /* U+FF4F */
    { "\341\264\217", "o" },                /* U+1D0F */
    { "\360\237\204\276", "o" },            /* U+1F13E */
    { "\360\237\205\276", "o" },            /* U+1F17E */
    { "\342\223\236", "o" },                /* U+24DE */
    { "\360\235\231\244", "o" },            /* U+1D664 */
    { "\360\235\220\250", "o" },            /* U+1D428 */
    { "\360\235\227\274", "o" },            /* U+1D5FC */
    { "\343\200\220o\343\200\221", "o" },   /* U+3010 U+006F U+3011 */
    { "\343\200\216o\343\200\217", "o" },   /* U+300E U+006F U+300F */
    { "\360\235\225\241", "p" },            /* U+1D561 */
    { "\357\275\220", "p" },                /* U+FF50 */
    { "\341\264\230", "p" },                /* U+1D18 */
    { "\360\237\204\277", "p" },            /* U+1F13F */
    { "\360\237\205\277", "p" },            /* U+1F17F */
    { "\342\223\237", "p" },                /* U+24DF */
    { "\360\235\231\245", "p" },            /* U+1D665 */
    { "\360\235\220\251", "p" },            /* U+1D429 */
    { "\360\235\227\275", "p" },            /* U+1D5FD */
    { "\343\200\220p\343\200\221", "p" },   /* U+3010 U+0070 U+3011 */
    { "\343\200\216p\343\200\217", "p" },   /* U+300E U+0070 U+300F */
    { "\360\235\225\242", "q" },            /* U+1D562 */
    { "\357\275\221", "q" },                /* U+FF51 */
    { "Q", "q" },                           /* U+0051 */
    { "\360\237\205\200", "q" },            /* U+1F140 */
    { "\342\223\240", "q" },                /* U+24E0 */
    { "\360\235\231\246", "q" },            /* U+1D666 */
    { "\360\235\220\252", "q" },            /* U+1D42A */
    { "\360\235\227\276", "q" },            /* U+1D5FE */
    { "\343\200\220q\343\200\221", "q" },   /* U+3010 U+0071 U+3011 */
    { "\343\200\216q\343\200\217", "q" },   /* U+300E U+0071 U+300F */
    { "\360\235\225\243", "r" },            /* U+1D563 */
    { "\357\275\222", "r" },                /* U+FF52 */
    { "\312\200", "r" },                    /* U+0280 */
    { "\360\237\205\201", "r" },            /* U+1F141 */
    { "\342\223\241", "r" },                /* U+24E1 */
    { "\360\235\231\247", "r" },            /* U+1D667 */
    { "\360\235\220\253", "r" },            /* U+1D42B */
    { "\360\235\227\277", "r" },            /* U+1D5FF */
    { "\343\200\220r\343\200\221", "r" },   /* U+3010 U+0072 U+3011 */
    { "\343\200\216r\343\200\217", "r" },   /* U+300E U+0072 U+300F */
    { "\360\235\225\244", "s" },            /* U+1D564 */
    { "\357\275\223", "s" },                /* U+FF53 */
    { "\352\234\261", "s" },                /* U+A731 */
    { "\360\237\205\202", "s" },            /* U+1F142 */
    { "\342\223\242", "s" },                /* U+24E2 */
    { "\360\235\231\250", "s" },            /* U+1D668 */
    { "\360\235\220\254", "s" },            /* U+1D42C */
    { "\360\235\230\200", "s" },            /* U+1D600 */
    { "\343\200\220s\343\200\221", "s" },   /* U+3010 U+0073 U+3011 */
    { "\343\200\216s\343\200\217", "s" },   /* U+300E U+0073 U+300F */
    { "\360\235\225\245", "t" },            /* U+1D565 */
    { "\357\275\224", "t" },                /* U+FF54 */
    { "\341\264\233", "t" },                /* U+1D1B */
    { "\360\237\205\203", "t" },            /* U+1F143 */
    { "\342\223\243", "t" },                /* U+24E3 */
    { "\360\235\231\251", "t" },            /* U+1D669 */
    { "\360\235\220\255", "t" },            /* U+1D42D */
    { "\360\235\230\201", "t" },            /* U+1D601 */
    { "\343\200\220t\343\200\221", "t" },   /* U+3010 U+0074 U+3011 */
    { "\343\200\216t\343\200\217", "t" },   /* U+300E U+0074 U+300F */
    { "\360\235\225\246", "u" },            /* U+1D566 */
    { "\357\275\225", "u" },                /* U+FF55 */
    { "\341\264\234", "u" },                /* U+1D1C */
    { "\360\237\205\204", "u" },            /* U+1F144 */
    { "\342\223\244", "u" },                /* U+24E4 */
    { "\360\235\231\252", "u" },            /* U+1D66A */
    { "\360\235\220\256", "u" },            /* U+1D42E */
    { "\360\235\230\202", "u" },            /* U+1D602 */
    { "\343\200\220u\343\200\221", "u" },   /* U+3010 U+0075 U+3011 */
    { "\343\200\216u\343\200\217", "u" },   /* U+300E U+0075 U+300F */
    { "\360\235\225\247", "v" },            /* U+1D567 */
    { "\357\275\226", "v" },                /* U+FF56 */
    { "\341\264\240", "v" },                /* U+1D20 */
    { "\360\237\205\205", "v" },            /* U+1F145 */
    { "\342\223\245", "v" },                /* U+24E5 */
    { "\360\235\231\253", "v" },            /* U+1D66B */
    { "\360\235\220\257", "v" },            /* U+1D42F */
    { "\360\235\230\203", "v" },            /* U+1D603 */
    { "\343\200\220v\343\200\221", "v" },   /* U+3010 U+0076 U+3011 */
    { "\343\200\216v\343\200\217", "v" },   /* U+300E U+0076 U+300F */
    { "\360\235\225\250", "w" },            /* U+1D568 */
    { "\357\275\227", "w" },                /* U+FF57 */
    { "\341\264\241", "w" },                /* U+1D21 */
    { "\360\237\205\206", "w" },            /* U+1F146 */
    { "\342\223\246", "w" },                /* U+24E6 */
    { "\360\235\231\254", "w" },            /* U+1D66C */
    { "\360\235\220\260", "w" },            /* U+1D430 */
    { "\360\235\230\204", "w" },            /* U+1D604 */
    { "\343\200\220w\343\200\221", "w" },   /* U+3010 U+0077 U+3011 */
    { "\343\200\216w\343\200\217", "w" },   /* U+300E U+0077 U+300F */
    { "\360\235\225\251", "x" },            /* U+1D569 */
    { "\357\275\230", "x" },                /* U+FF58 */
    { "x", "x" },                           /* U+0078 */
    { "\360\237\205\207", "x" },            /* U+1F147 */
    { "\342\223\247", "x" },                /* U+24E7 */
    { "\360\235\231\255", "x" },            /* U+1D66D */
    { "\360\235\220\261", "x" },            /* U+1D431 */
    { "\360\235\230\205", "x" },            /* U+1D605 */
    { "\343\200\220x\343\200\221", "x" },   /* U+3010 U+0078 U+3011 */
    { "\343\200\216x\343\200\217", "x" },   /* U+300E U+0078 U+300F */
    { "\360\235\225\252", "y" },            /* U+1D56A */
    { "\357\275\231", "y" },                /* U+FF59 */
    { "\312\217", "y" },                    /* U+028F */
    { "\360\237\205\210", "y" },            /* U+1F148 */
    { "\342\223\250", "y" },                /* U+24E8 */
    { "\360\235\231\256", "y" },            /* U+1D66E */
    { "\360\235\220\262", "y" },            /* U+1D432 */
    { "\360\235\230\206", "y" },            /* U+1D606 */
    { "\343\200\220y\343\200\221", "y" },   /* U+3010 U+0079 U+3011 */
    { "\343\200\216y\343\200\217", "y" },   /* U+300E U+0079 U+300F */
    { "\360\235\225\253", "z" },            /* U+1D56B */
    { "\357\275\232", "z" },                /* U+FF5A */
    { "\341\264\242", "z" },                /* U+1D22 */
    { "\360\237\205\211", "z" },            /* U+1F149 */
    { "\342\223\251", "z" },                /* U+24E9 */
    { "\360\235\231\257", "z" },            /* U+1D66F */
    { "\360\235\220\263", "z" },            /* U+1D433 */
    { "\360\235\230\207", "z" },            /* U+1D607 */
    { "\343\200\220z\343\200\221", "z" },   /* U+3010 U+007A U+3011 */
    { "\343\200\216z\343\200\217", "z" },   /* U+300E U+007A U+300F */
};


int
main(void)
{
    test_tables();
    test_disguises();
    test_map();
    test_entities();
    test_invalid();
    test_raw();
    test_plain();
    test_blanks();
    test_scripts();
    test_invisible();
    test_digits();
    test_digits_all();
    test_kept();
    test_kept_arabic();
    test_obfuscation_file();
    test_memory();
    test_every_code_point();
    test_corpus();
    test_letters();

    is_int(tk_mem.live, 0, "every block allocated was freed");

    return tap_done();
}


static void *
tk_alloc(void *data, size_t size)
{
    tk_mem_t  *mem = data;
    void      *p;

    p = malloc(size);

    if (p) {
        mem->live++;
    }

    return p;
}


static void *
tk_alloc_limited(void *data, size_t size)
{
    tk_mem_t  *mem = data;

    if (mem->left == 0) {
        return NULL;
    }

    mem->left--;

    return tk_alloc(data, size);
}


static void
tk_free(void *data, void *p)
{
    tk_mem_t  *mem = data;

    mem->live--;
    free(p);
}


static void *
tk_arena_alloc(void *data, size_t size)
{
    tk_arena_t  *arena = data;
    char        *b;

    b = malloc(TK_HEADER + size);
    if (b == NULL) {
        return NULL;
    }

    *(void **) b = arena->blocks;
    arena->blocks = b;
    arena->n++;

    return b + TK_HEADER;
}


static void
tk_arena_free_all(tk_arena_t *arena)
{
    void  *b, *next;

    for (b = arena->blocks; b; b = next) {
        next = *(void **) b;
        free(b);
    }

    arena->blocks = NULL;
}


/*
 * What every view must be: valid UTF-8 without NUL, the map non-decreasing
 * and inside the input, map[len] the input's length.
 */

static int
tk_view_valid(const cm_view_t *v, size_t len)
{
    size_t          i, k, n;
    uint32_t        c;
    const uint8_t  *t;

    t = v->text;

    if (t == NULL || v->map == NULL || t[v->len] != '\0'
        || v->map[v->len] != len)
    {
        return 0;
    }

    for (i = 0; i < v->len; i++) {
        if (v->map[i] >= len || (i && v->map[i] < v->map[i - 1])) {
            return 0;
        }
    }

    for (i = 0; i < v->len; i += n) {
        c = t[i];

        if (c == 0) {
            return 0;
        }

        if (c < 0x80) {
            n = 1;
            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2; c &= 0x1f;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3; c &= 0x0f;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4; c &= 0x07;

        } else {
            return 0;
        }

        if (v->len - i < n) {
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((t[i + k] & 0xc0) != 0x80) {
                return 0;
            }

            c = (c << 6) | (t[i + k] & 0x3f);
        }

        if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000)
            || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        {
            return 0;
        }
    }

    return 1;
}


/* in the normalised view, the bytes of a character map to one offset */

static int
tk_map_whole(const cm_view_t *v)
{
    size_t  i;

    for (i = 1; i < v->len; i++) {
        if ((v->text[i] & 0xc0) == 0x80 && v->map[i] != v->map[i - 1]) {
            return 0;
        }
    }

    return 1;
}


static void
tk_norm_is(const char *in, size_t len, const char *want, const char *name)
{
    int        rc;
    cm_view_t  v;

    rc = cm_view_norm(&tk_tracked, (const uint8_t *) in, len, &v);

    if (rc != CM_OK) {
        ok(0, name);
        return;
    }

    if (!tk_view_valid(&v, len) || !tk_map_whole(&v)) {
        printf("# invalid view\n");
        ok(0, name);

    } else {
        is_str(v.text, v.len, want, name);
    }

    tk_free(&tk_mem, v.text);
    tk_free(&tk_mem, v.map);
}


/* "map" has an entry per byte of "want" and then the input's length */

static void
tk_map_is(const char *in, const char *want, const uint32_t *map,
    const char *name)
{
    int        pass;
    size_t     i, len;
    cm_view_t  v;

    len = strlen(in);

    if (cm_view_norm(&tk_tracked, (const uint8_t *) in, len, &v) != CM_OK) {
        ok(0, name);
        return;
    }

    pass = v.len == strlen(want) && memcmp(v.text, want, v.len) == 0;

    for (i = 0; pass && i <= v.len; i++) {
        if (v.map[i] != map[i]) {
            printf("#   map[%zu] is %u, expected %u\n", i, v.map[i], map[i]);
            pass = 0;
        }
    }

    ok(pass, name);

    if (!pass) {
        printf("#   got '%.*s'\n", (int) v.len, v.text);
    }

    tk_free(&tk_mem, v.text);
    tk_free(&tk_mem, v.map);
}


static void
test_tables(void)
{
    int     sorted, plain;
    size_t  i, n;

    n = sizeof(cm_confusables) / sizeof(cm_confusables[0]);
    sorted = 1;
    plain = 1;

    for (i = 0; i < n; i++) {
        if (i && cm_confusables[i].from <= cm_confusables[i - 1].from) {
            printf("#   U+%04X out of order\n", cm_confusables[i].from);
            sorted = 0;
        }

        /* ASCII can't be a key: the fast path never looks it up */
        if (cm_confusables[i].from < 0x80
            || strspn(cm_confusables[i].to, "abcdefghijklmnopqrstuvwxyz"
                                            "0123456789")
               != strlen(cm_confusables[i].to))
        {
            printf("#   U+%04X maps to '%s'\n", cm_confusables[i].from,
                   cm_confusables[i].to);
            plain = 0;
        }
    }

    ok(sorted, "look-alike table sorted, no duplicates");
    ok(plain, "look-alikes map to lower case ASCII letters and digits");

    n = sizeof(cm_digits) / sizeof(cm_digits[0]);
    sorted = cm_digits[0] >= 0x80;

    for (i = 1; i < n; i++) {
        if (cm_digits[i] < cm_digits[i - 1] + 10) {
            printf("#   digits at U+%04X out of order\n", cm_digits[i]);
            sorted = 0;
        }
    }

    ok(sorted, "digit table sorted, runs apart");

    n = sizeof(cm_entities) / sizeof(cm_entities[0]);
    sorted = 1;

    for (i = 1; i < n; i++) {
        if (strcmp(cm_entities[i].name, cm_entities[i - 1].name) <= 0) {
            printf("#   &%s; out of order\n", cm_entities[i].name);
            sorted = 0;
        }
    }

    ok(sorted, "entity table sorted, no duplicates");
}


static void
test_disguises(void)
{
    tk_is("SLOT GACOR", "slot gacor", "upper case folded");
    tk_is("\xf0\x9d\x90\x92\xf0\x9d\x90\x8b\xf0\x9d\x90\x8e\xf0\x9d\x90\x93"
          " \xf0\x9d\x90\x86\xf0\x9d\x90\x80\xf0\x9d\x90\x82\xf0\x9d\x90\x8e"
          "\xf0\x9d\x90\x91",
          "slot gacor", "mathematical bold");
    tk_is("𝙎𝙇𝙊𝙏 𝓰𝓪𝓬𝓸𝓻 𝕄𝔸𝕏𝕎𝕀ℕ 𝚝𝚘𝚐𝚎𝚕", "slot gacor maxwin togel",
          "mathematical italic, script, double-struck, monospace");
    tk_is("ｓｌｏｔ　ＧＡＣＯＲ", "slot gacor", "fullwidth, ideographic space");
    tk_is("Ⓢⓛⓞⓣ ⓖⓐⓒⓞⓡ", "slot gacor", "circled");
    tk_is("🅂🄻🄾🅃 🅶🅰🅲🅾🆁", "slot gacor", "squared, negative squared");
    tk_is("🅜🅐🅧🅦🅘🅝", "maxwin", "negative circled");
    tk_is("⒯⒪⒢⒠⒧", "togel", "parenthesized");
    tk_is("🇸\u200b🇱\u200b🇴\u200b🇹", "slot", "regional indicators");
    tk_is("ꜱʟᴏᴛ ɢᴀᴄᴏʀ ᴍᴀxᴡɪɴ ᴛᴏɢᴇʟ", "slot gacor maxwin togel",
          "small capitals");
    tk_is("sl\xd0\xbet", "slot", "Cyrillic o");
    tk_is("ѕlоt gасоr", "slot gacor", "Cyrillic s, o, a, c");
    tk_is("тоgеl", "togel", "Cyrillic t, o, e");
    tk_is("ЅLОТ GАСОR", "slot gacor", "Cyrillic capitals");
    tk_is("maxwіn", "maxwin", "Cyrillic i");
    tk_is("slοt mαxwιn", "slot maxwin", "Greek omicron, alpha, iota");
    tk_is("ΜΑΧWΙΝ ΤΟGΕL", "maxwin togel", "Greek capitals read as Latin");
    tk_is("mαχωιη ναι", "maxwin vai", "Greek small chi, omega, eta, nu");
    tk_is("ΛLEXIS AEЯO", "alexis aero", "faux Cyrillic and Greek");
    tk_is("ꓢꓡꓳꓔ", "slot", "Lisu");
    tk_is("𝐏𝐑0𝐁𝐄𐊗", "pr0bet", "Lycian t");
    tk_is("ᑭᑌᒪᗩᑌᗯIᑎ", "pulauwin", "Canadian syllabics");
    tk_is("słøt ĝäçøŕ ŧogel", "slot gacor togel",
          "accents, strokes");
    tk_is("s\u200bl\u200co\u200dt g\u2060a\u2061c\u2062o\u2063r\u2064",
          "slot gacor", "zero-width characters, word joiner");
    tk_is("s\u200el\u200fo\ufefft", "slot", "direction marks, BOM");
    tk_is("s\u00adl\u034fo\ufe0ft g\U000E0067a\U000E0061cor",
          "slot gacor", "soft hyphen, CGJ, variation selector, tags");
    tk_is("t\U000E0100og\u180eel \u202eslot\u202c", "togel slot",
          "variation selector supplement, bidi overrides");
    tk_is("S̶l̶o̶t̶ G̶a̶c̶o̶r̶", "slot gacor", "strike-through");
    tk_is("s\xcc\xb2l\xcc\xb2o\xcc\xb2t\xcc\xb2", "slot", "underline");
    tk_is("s\xe2\x83\x9dl\xe2\x83\x9eo\xd2\x89t", "slot", "enclosing marks");
    tk_is("ślót gäcôr", "slot gacor", "accents");
    tk_is("P͓̽U͓̽L͓̽A͓̽U͓̽", "pulau", "stacked marks");
    tk_is("【S】【L】【O】【T】", "slot", "lenticular brackets");
    tk_is("P░U░L░A░U", "pulau", "shades between letters");
}


static void
test_map(void)
{
    static const uint32_t  bold[] = { 0, 1, 5, 6 };
    static const uint32_t  ent[] = { 0, 1, 6, 7 };
    static const uint32_t  lig[] = { 0, 0, 3, 4, 5 };
    static const uint32_t  blank[] = { 0, 1, 7, 8 };
    static const uint32_t  bad[] = { 0, 1, 3, 4, 5 };
    static const uint32_t  zw[] = { 0, 1, 2, 6, 7 };
    static const uint32_t  cyr[] = { 0, 1, 2, 4, 5 };
    static const uint32_t  mark[] = { 0, 3, 6, 9, 12 };
    static const uint32_t  two[] = { 0, 0, 2, 2, 4 };

    tk_map_is("x\xf0\x9d\x90\x92y", "xsy", bold, "map: 4-byte letter");
    tk_map_is("a&amp;b", "a&b", ent, "map: entity to its '&'");
    tk_map_is("\xef\xac\x81xy", "fixy", lig, "map: ligature expands");
    tk_map_is("a \t\r\n  b", "a b", blank, "map: blanks collapsed");
    tk_map_is("sl\xffot", "slot", bad, "map: invalid byte skipped");
    tk_map_is("slo\xe2\x80\x8bt", "slot", zw, "map: zero-width skipped");
    tk_map_is("sl\xd0\xbet", "slot", cyr, "map: Cyrillic o");
    tk_map_is("s\xcc\xb6l\xcc\xb6o\xcc\xb6t\xcc\xb6", "slot", mark,
              "map: marks dropped, input length at the end");
    tk_map_is("ßß", "ssss", two, "map: sharp s folds to ss");
}


static void
test_entities(void)
{
    tk_is("&lt;b&gt; &amp; &quot;x&quot; &apos;y&apos;",
          "<b> & \"x\" 'y'", "basic named entities");
    tk_is("slot&nbsp;gacor", "slot gacor", "&nbsp; is a space");
    tk_is("slot&nbsp;&nbsp; &nbsp;gacor", "slot gacor",
          "&nbsp; runs collapse");
    tk_is("caf&eacute; &Aacute;&ntilde;&ccedil;", "cafe anc",
          "Latin-1 entities");
    tk_is("&#115;&#108;&#111;&#116;", "slot", "decimal");
    tk_is("&#x73;&#X6C;&#x4F;&#x074;", "slot", "hex, either case");
    tk_is("&#115lot", "slot", "decimal without ';'");
    tk_is("&#x1D412;&#x1d40b;OT", "slot", "entity of a styled letter");
    tk_is("sl&#8203;ot", "slot", "entity of a zero-width space");
    tk_is("&#0000000115;lot", "slot", "leading zeros");
    tk_is("&amp;lt;", "<", "an entity's '&' as an entity: decoded again");
    tk_is("&amp;#115;lot", "slot", "decoded again, numeric");
    tk_is("&#38;#115;&amp;#x6c;&amp;amp;#111;t", "slot",
          "decoded again, and a third time");
    tk_is("&amp;amp;amp;#115;", "&#115;", "three decodings at most");
    tk_is("&amp;foo; &amp; x", "&foo; & x", "'&' before what is no entity");
    tk_is("&#0;", "&#0;", "&#0; left alone");
    tk_is("&#xD800;", "&#xd800;", "surrogate left alone");
    tk_is("&#x110000;&#99999999;", "&#x110000;&#99999999;",
          "past U+10FFFF left alone");
    tk_is("&#00000000000000000115;", "&#00000000000000000115;",
          "too many digits left alone");
    tk_is("&#150;&#x93;", "\xe2\x80\x93\xe2\x80\x9c",
          "&#128; to &#159; as windows-1252");
    tk_is("&bogus; &AMP; &amp", "&bogus; &amp; &amp",
          "unknown, wrong case, no ';': left alone");
    tk_is("&thetasymx; &#; &#x; &#xg;", "&thetasymx; &#; &#x; &#xg;",
          "malformed references left alone");
    tk_is("a & b &", "a & b &", "a bare '&'");
    tk_is("&", "&", "'&' at the end");
    tk_is("&#", "&#", "'&#' at the end");
    tk_is("&#x", "&#x", "'&#x' at the end");
    tk_is("a&#1;b", "ab", "control entity dropped");
    tk_is("x&#10;y&#9;z", "x y z", "newline and tab entities are blanks");
    tk_is("&Omicron;&alpha;&tau;", "oat", "Greek entities map to Latin");
}


static void
test_invalid(void)
{
    tk_is("sl\xffot", "slot", "invalid byte dropped");
    tk_norm_is("sl\0ot", 5, "slot", "NUL dropped");
    tk_norm_is("\0\0\0", 3, "", "only NULs");
    tk_is("slot\xe2\x82", "slot", "truncated sequence at the end");
    tk_is("s\xc0\xafl\xe0\x80\xafot", "slot", "overlong encodings");
    tk_is("s\xed\xa0\x80lot", "slot", "surrogate");
    tk_is("s\xf4\x90\x80\x80lot", "slot", "past U+10FFFF");
    tk_is("s\x80\xbflot", "slot", "stray continuation bytes");
    tk_is("sl\x01o\x1ft\x7f", "slot", "control characters dropped");
    tk_is("sl\xc2\x85ot", "sl ot", "NEL is a blank");
    tk_is("\xee\x80\x80", "\xee\x80\x80", "private use kept");
    tk_is("asu\xef\xbf\xbdx", "asu x", "U+FFFD breaks words");
    tk_is("ndasmu\xc3\x94\xc3\xb8\xce\xa9 ok", "ndasmu ok",
          "U+FFFD garbled as MacRoman breaks words");
    tk_is("\xc3\x94\xc3\xb8", "oo", "a part of it stays text");
}


static void
test_raw(void)
{
    int                     pass;
    cm_view_t               v;
    static const char       in[] = "Sl\0o\xfft\xf0\x9d\x90\x92 &amp;";
    static const uint32_t   map[] = { 0, 1, 3, 5, 6, 7, 8, 9, 10, 11, 12,
                                      13, 14, 15, 16 };

    if (cm_view_raw(&tk_tracked, (const uint8_t *) in, sizeof(in) - 1, &v)
        != CM_OK)
    {
        ok(0, "raw view");
        return;
    }

    is_str(v.text, v.len, "Slot\xf0\x9d\x90\x92 &amp;",
           "raw view: only invalid UTF-8 and NUL dropped");

    pass = tk_view_valid(&v, sizeof(in) - 1)
           && memcmp(v.map, map, sizeof(map)) == 0;

    ok(pass, "raw view: map");

    tk_free(&tk_mem, v.text);
    tk_free(&tk_mem, v.map);
}


static void
test_plain(void)
{
    tk_is("kasus", "kasus", "kasus unchanged");
    tk_is("pantai", "pantai", "pantai unchanged");
    tk_is("Babinsa", "babinsa", "Babinsa lowered");
    tk_is("Polisi menangkap 3 tersangka kasus judi online di Bekasi.",
          "polisi menangkap 3 tersangka kasus judi online di bekasi.",
          "a news comment only lowered");
    tk_is("sl0t 88", "sl0t 88", "digits stay, no leetspeak here");
    tk_is("Rp 50.000, tahun 2024 (10%)", "rp 50.000, tahun 2024 (10%)",
          "prices, years, punctuation stay");
    tk_is("s.l.o.t s-l-o-t s_l_o_t", "s.l.o.t s-l-o-t s_l_o_t",
          "separators stay");
    tk_is("😂😂👍🏻 ❤️🔥", "😂😂👍🏻 ❤🔥", "emoji stay, variation selector goes");
    tk_is("허 ᄀ", "허 ᄀ", "Hangul syllables stay whole");
    tk_is("\xef\xb7\xba", "\xd8\xb5\xd9\x84\xd9\x89 \xd8\xa7\xd9\x84\xd9\x84"
          "\xd9\x87 \xd8\xb9\xd9\x84\xd9\x8a\xd9\x87 \xd9\x88\xd8\xb3\xd9\x84"
          "\xd9\x85", "U+FDFA expands to 18 characters");
    tk_is("", "", "empty input");
}


static void
test_blanks(void)
{
    tk_is("slot   gacor", "slot gacor", "spaces collapse");
    tk_is("slot\t\n\r\n\v\fgacor", "slot gacor", "ASCII blanks collapse");
    tk_is("slot\xc2\xa0\xe2\x80\x83\xe3\x80\x80gacor", "slot gacor",
          "Unicode spaces collapse");
    tk_is("slot\xe2\x80\xa8\xe2\x80\xa9gacor", "slot gacor",
          "line and paragraph separators");
    tk_is("slot \xe2\x80\x8b gacor", "slot gacor",
          "a run split by an invisible character");
    tk_is("  slot  ", " slot ", "not trimmed, but collapsed");
}


/*
 * Look-alikes of the scripts spam moves to once one is known, from
 * Unicode's confusables and from fancy-text alphabets.
 */

static void
test_scripts(void)
{
    tk_is("ⲁⲧⲙⲉⲓⲛⲕⲭⲇ", "atmeinkxd", "Coptic small letters");
    tk_is("ⲤⲖⲞⲦ ⲄⲀⲤⲞⲢ", "cⲗot racop", "Coptic capitals, as they look");
    tk_is("Ꮎ Ꮖ ᏚᏞᎾᎢ", "o i slot", "Cherokee");
    tk_is("ꮪꮮꮎꮋ", "sloh", "Cherokee small letters fold to capitals");
    tk_is("ᗴ ᓍ", "e o", "Canadian syllabics");
    tk_is("ᔕᒪᓍT ᘜᗩᑢᓍᖇ", "slot gacor", "Canadian syllabics alphabet");
    tk_is("Տ ժ յ", "s d j", "Armenian");
    tk_is("ɘ ƴ", "e y", "Latin with hooks");
    tk_is("Ƨlot ƍacor", "2lot gacor", "Latin tone two, turned delta");
    tk_is("∆ £ § † ©", "a e s t c", "symbols as leetspeak");
    tk_is("§l0† g∆©or", "sl0t gacor", "symbols inside a word");
    tk_is("ⵔ ᛖ ዐ ყ ו", "o m o y l",
          "Tifinagh, Runic, Ethiopic, Georgian, Hebrew");
    tk_is("𐔜𐔖𐔓", "con", "Elbasan");
    tk_is("ꜳ ꝏ ǁ", "aa oo ll", "letters read as two");
    tk_is("Γ ℾ", "r r", "Greek capital gamma reads as Cyrillic ghe");
    tk_is("Ғ Ɨ Ι Η η", "f i i h n", "readings chosen by hand kept");
    tk_is("ӏ ∣ ‖ ∞", "l ∣ ‖ ∞", "bars and infinity are no letters");
    tk_is("Spoiler\xc2\xac\xe2\x80\xa0" "for", "spoiler for",
          "no-break space garbled as MacRoman is a blank");
}


/*
 * Letters that show nothing disappear, so that they cannot split a word;
 * bidi controls disappear too.
 */

static void
test_invisible(void)
{
    tk_is("sl\xe3\x85\xa4ot", "slot", "Hangul filler U+3164 dropped");
    tk_is("sl\xe1\x85\x9fot", "slot", "Hangul choseong filler U+115F");
    tk_is("sl\xe1\x85\xa0ot", "slot", "Hangul jungseong filler U+1160");
    tk_is("sl\xef\xbe\xa0ot", "slot", "halfwidth Hangul filler U+FFA0");
    tk_is("sl\xe2\xa0\x80ot", "slot", "braille blank U+2800");
    tk_is("slot \xe3\x85\xa4 gacor", "slot gacor",
          "a filler between spaces leaves one space");
    tk_is("&#x3164;s&#12644;lot", "slot", "fillers as entities");
    tk_is("s\xe2\x80\xaal\xe2\x80\xabo\xe2\x80\xact\xe2\x80\xad"
          "g\xe2\x80\xae" "a", "slotga", "bidi embeddings, overrides, pop");
    tk_is("s\xe2\x81\xa6l\xe2\x81\xa7o\xe2\x81\xa8t\xe2\x81\xa9", "slot",
          "bidi isolates");
    tk_is("s\xe2\x80\x8el\xe2\x80\x8fo\xd8\x9ct", "slot",
          "LRM, RLM, Arabic letter mark");
    tk_is("\xe2\x80\xaerocag tols\xe2\x80\xac", "rocag tols",
          "reversed text is not turned round here");
}


static void
test_digits(void)
{
    tk_is("\xd9\xa0\xd9\xa8\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6"
          "\xd9\xa7\xd9\xa8\xd9\xa9\xd9\xa0", "081234567890",
          "Arabic-Indic digits");
    tk_is("\xdb\xb0\xdb\xb8\xdb\xb1\xdb\xb2", "0812",
          "Extended Arabic-Indic digits");
    tk_is("०८१२ ০৮১২ ๐๘๑๒", "0812 0812 0812",
          "Devanagari, Bengali, Thai digits");
    tk_is("０８１２ 𝟎𝟖𝟏𝟐 𝟶𝟾𝟷𝟸", "0812 0812 0812",
          "fullwidth, mathematical digits");
    tk_is("꧐꧘꧑꧒ ᮰᮸᮱᮲ ᱐᱘᱑᱒", "0812 0812 0812",
          "Javanese, Sundanese, Ol Chiki digits");
    tk_is("wa +٦٢ ٨١٢-٣٤٥٦-٧٨٩٠", "wa +62 812-3456-7890",
          "a WhatsApp number");
    tk_is("sl٠t ٨٨", "sl0t 88", "a digit in a word is a digit");
    tk_is("²¹ ① ⑽", "21 1 (10)", "other numbers as before");
}


/* every Nd digit reads as one ASCII digit, runs counting up from 0 */

static void
test_digits_all(void)
{
    int        bad, prev, d;
    size_t     n, runs;
    uint32_t   c;
    uint8_t    b[8];
    cm_view_t  v;

    bad = 0;
    runs = 0;
    prev = -1;

    for (c = 0x80; c <= 0x10ffff; c++) {
        if (utf8proc_category((utf8proc_int32_t) c)
            != UTF8PROC_CATEGORY_ND)
        {
            prev = -1;
            continue;
        }

        n = tk_utf8(c, b);

        if (cm_view_norm(&tk_tracked, b, n, &v) != CM_OK) {
            bad++;
            continue;
        }

        d = (v.len == 1 && v.text[0] >= '0' && v.text[0] <= '9')
            ? v.text[0] - '0' : -1;

        if (d < 0 || d != (prev == 9 ? 0 : prev + 1)) {
            if (bad++ < 10) {
                printf("#   U+%04X gives '%.*s'\n", c, (int) v.len, v.text);
            }
        }

        runs += (d == 0);
        prev = d;

        tk_free(&tk_mem, v.text);
        tk_free(&tk_mem, v.map);
    }

    is_int(bad, 0, "every Nd digit reads as an ASCII digit");
    ok(runs >= 60, "every script's digits: %zu runs", runs);
}


static void
test_kept(void)
{
    tk_is("Saya setuju, pemerintah harus tegas. Semoga cepat pulih!",
          "saya setuju, pemerintah harus tegas. semoga cepat pulih!",
          "Indonesian only lowered");
    tk_is("The police should investigate this properly.",
          "the police should investigate this properly.",
          "English only lowered");
    tk_is("ślót gäcôr Ì Í İ ſ", "slot gacor i i i s",
          "accented Latin read through NFKD, not the look-alikes");
    tk_is("بسم الله الرحمن الرحيم", "بسم الله الرحمن الرحيم",
          "Arabic left alone");
    tk_is("ڤرليمن ملايو ݢاجي ڽاڽي ڠ چ", "ڤرليمن ملايو ݢاجي ڽاڽي ڠ چ",
          "Jawi letters left alone");
    tk_is("ꦱꦸꦒꦺꦁ ᬲ᭄ᬯᬲ᭄ᬢ᭄ᬬᬲ᭄ᬢᬸ ᮞᮥᮔ᮪ᮓ ᨅᨔ ᨕᨘᨁᨗ",
          "ꦱꦒ ᬲᬯᬲᬢᬬᬲᬢ ᮞᮔᮓ ᨅᨔ ᨕᨁ",
          "Javanese, Balinese, Sundanese, Buginese: only marks go");
    tk_is("中文 日本語 한국어 हिन्दी தமிழ் ไทย", "中文 日本語 한국어 हनद தமழ ไทย",
          "CJK, Hangul, Indic and Thai letters stay");
}


/* no letter of the Arabic script reads as a Latin letter */

static void
test_kept_arabic(void)
{
    int        bad;
    size_t     n, i;
    uint32_t   c;
    uint8_t    b[8];
    cm_view_t  v;

    static const uint32_t  blocks[][2] = {
        { 0x0600, 0x06ff }, { 0x0750, 0x077f }, { 0x0870, 0x08ff },
        { 0xfb50, 0xfdff }, { 0xfe70, 0xfeff }
    };

    bad = 0;

    for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        for (c = blocks[i][0]; c <= blocks[i][1]; c++) {
            if (utf8proc_category((utf8proc_int32_t) c)
                != UTF8PROC_CATEGORY_LO)
            {
                continue;
            }

            n = tk_utf8(c, b);

            if (cm_view_norm(&tk_tracked, b, n, &v) != CM_OK) {
                bad++;
                continue;
            }

            for (n = 0; n < v.len; n++) {
                if (v.text[n] >= 'a' && v.text[n] <= 'z') {
                    if (bad++ < 10) {
                        printf("#   U+%04X gives '%.*s'\n", c, (int) v.len,
                               v.text);
                    }

                    break;
                }
            }

            tk_free(&tk_mem, v.text);
            tk_free(&tk_mem, v.map);
        }
    }

    is_int(bad, 0, "no Arabic-script letter reads as a Latin one");
}


static size_t
tk_utf8(uint32_t c, uint8_t *b)
{
    if (c < 0x80) {
        b[0] = (uint8_t) c;
        return 1;
    }

    if (c < 0x800) {
        b[0] = (uint8_t) (0xc0 | (c >> 6));
        b[1] = (uint8_t) (0x80 | (c & 0x3f));
        return 2;
    }

    if (c < 0x10000) {
        b[0] = (uint8_t) (0xe0 | (c >> 12));
        b[1] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
        b[2] = (uint8_t) (0x80 | (c & 0x3f));
        return 3;
    }

    b[0] = (uint8_t) (0xf0 | (c >> 18));
    b[1] = (uint8_t) (0x80 | ((c >> 12) & 0x3f));
    b[2] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
    b[3] = (uint8_t) (0x80 | (c & 0x3f));
    return 4;
}


static void
test_obfuscation_file(void)
{
    int        bad;
    size_t     i, n;
    cm_view_t  v;

    n = sizeof(tk_obfuscation) / sizeof(tk_obfuscation[0]);
    bad = 0;

    for (i = 0; i < n; i++) {
        if (cm_view_norm(&tk_tracked, (const uint8_t *) tk_obfuscation[i].in,
                         strlen(tk_obfuscation[i].in), &v)
            != CM_OK)
        {
            bad++;
            continue;
        }

        if (v.len != strlen(tk_obfuscation[i].out)
            || memcmp(v.text, tk_obfuscation[i].out, v.len) != 0)
        {
            printf("#   '%s' gives '%.*s', not '%s'\n", tk_obfuscation[i].in,
                   (int) v.len, v.text, tk_obfuscation[i].out);
            bad++;
        }

        tk_free(&tk_mem, v.text);
        tk_free(&tk_mem, v.map);
    }

    is_int(n, 386, "obfuscation mapping: all entries present");
    is_int(bad, 0, "obfuscation mapping: every entry gives its plain letter");
}


/*
 * The output outgrows the first buffer: with a pool-like allocator that
 * never frees, with malloc, and with an allocator that fails.
 */

static void
test_memory(void)
{
    int          rc, failed;
    char        *in;
    size_t       i, n;
    tk_mem_t     mem;
    cm_view_t    v;
    cm_alloc_t   a;
    tk_arena_t   arena;

    n = 200;

    in = malloc(n * 3 + 1);
    if (in == NULL) {
        ok(0, "malloc");
        return;
    }

    for (i = 0; i < n; i++) {
        memcpy(in + i * 3, "\xef\xb7\xba", 3);
    }

    arena.blocks = NULL;
    arena.n = 0;

    a.alloc = tk_arena_alloc;
    a.free = NULL;
    a.data = &arena;

    rc = cm_view_norm(&a, (const uint8_t *) in, n * 3, &v);

    ok(rc == CM_OK && tk_view_valid(&v, n * 3)
       && v.len == n * 33 && v.map[v.len - 1] == (n - 1) * 3,
       "growth without free: 200 x U+FDFA");

    ok(arena.n > 2, "growth without free: the buffers grew");

    tk_arena_free_all(&arena);

    rc = cm_view_norm(&tk_tracked, (const uint8_t *) in, n * 3, &v);

    ok(rc == CM_OK && tk_view_valid(&v, n * 3) && v.len == n * 33,
       "growth with free");

    if (rc == CM_OK) {
        tk_free(&tk_mem, v.text);
        tk_free(&tk_mem, v.map);
    }

    is_int(tk_mem.live, 0, "growth with free: old buffers freed");

    a.alloc = tk_alloc_limited;
    a.free = tk_free;
    a.data = &mem;

    failed = 0;

    for (i = 0; i < 8; i++) {
        mem.live = 0;
        mem.left = i;

        rc = cm_view_norm(&a, (const uint8_t *) in, n * 3, &v);

        if (rc == CM_OK) {
            tk_free(&mem, v.text);
            tk_free(&mem, v.map);

        } else {
            failed++;
        }

        if (mem.live != 0) {
            printf("#   %zu blocks left after failure %zu\n", mem.live, i);
            failed = -100;
        }
    }

    ok(failed > 2, "allocation failures: CM_ERROR, nothing leaks");

    mem.live = 0;
    mem.left = 1;

    rc = cm_view_raw(&a, (const uint8_t *) in, n * 3, &v);

    ok(rc == CM_ERROR && mem.live == 0,
       "allocation failure in the raw view: nothing leaks");

    free(in);
}


/*
 * Each code point alone and between letters: whatever utf8proc and the
 * tables make of it, the view is valid.
 */

static void
test_every_code_point(void)
{
    int        bad;
    size_t     n;
    uint32_t   c;
    uint8_t    b[8];
    cm_view_t  v;

    bad = 0;

    for (c = 1; c <= 0x10ffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) {
            continue;
        }

        b[0] = 'a';

        if (c < 0x80) {
            b[1] = (uint8_t) c;
            n = 2;

        } else if (c < 0x800) {
            b[1] = (uint8_t) (0xc0 | (c >> 6));
            b[2] = (uint8_t) (0x80 | (c & 0x3f));
            n = 3;

        } else if (c < 0x10000) {
            b[1] = (uint8_t) (0xe0 | (c >> 12));
            b[2] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
            b[3] = (uint8_t) (0x80 | (c & 0x3f));
            n = 4;

        } else {
            b[1] = (uint8_t) (0xf0 | (c >> 18));
            b[2] = (uint8_t) (0x80 | ((c >> 12) & 0x3f));
            b[3] = (uint8_t) (0x80 | ((c >> 6) & 0x3f));
            b[4] = (uint8_t) (0x80 | (c & 0x3f));
            n = 5;
        }

        b[n++] = 'b';

        if (cm_view_norm(&tk_tracked, b, n, &v) != CM_OK) {
            bad++;
            continue;
        }

        if (!tk_view_valid(&v, n) || !tk_map_whole(&v)
            || v.len < 2 || v.text[0] != 'a' || v.text[v.len - 1] != 'b'
            || v.map[v.len - 1] != n - 1)
        {
            if (bad++ < 10) {
                printf("#   U+%04X gives '%.*s'\n", c, (int) v.len, v.text);
            }
        }

        tk_free(&tk_mem, v.text);
        tk_free(&tk_mem, v.map);
    }

    is_int(bad, 0, "every code point gives a valid view");
}


/*
 * Real comments, when the data is there: views valid, and normalising the
 * normalised text changes nothing (entities aside, which decode once).
 */

static void
test_corpus(void)
{
    int         bad, unstable;
    char       *line;
    size_t      size, lines;
    ssize_t     len;
    FILE       *f;
    cm_view_t   raw, v, w;

    f = fopen(TK_CORPUS, "r");
    ok(f != NULL, "corpus " TK_CORPUS " opens");

    if (f == NULL) {
        return;
    }

    line = NULL;
    size = 0;
    lines = 0;
    bad = 0;
    unstable = 0;

    while ((len = getline(&line, &size, f)) > 0) {
        lines++;

        if (cm_view_raw(&tk_tracked, (uint8_t *) line, len, &raw) != CM_OK
            || cm_view_norm(&tk_tracked, (uint8_t *) line, len, &v) != CM_OK)
        {
            bad++;
            break;
        }

        if (!tk_view_valid(&raw, len) || !tk_view_valid(&v, len)
            || !tk_map_whole(&v))
        {
            printf("#   invalid view: %s", line);
            bad++;
        }

        if (memchr(line, '&', len) == NULL
            && cm_view_norm(&tk_tracked, v.text, v.len, &w) == CM_OK)
        {
            if (w.len != v.len || memcmp(w.text, v.text, v.len) != 0) {
                printf("#   unstable: %s", line);
                unstable++;
            }

            tk_free(&tk_mem, w.text);
            tk_free(&tk_mem, w.map);
        }

        tk_free(&tk_mem, raw.text);
        tk_free(&tk_mem, raw.map);
        tk_free(&tk_mem, v.text);
        tk_free(&tk_mem, v.map);
    }

    free(line);
    fclose(f);

    ok(lines > 1000, "corpus read");
    is_int(bad, 0, "corpus: every view valid");
    is_int(unstable, 0, "corpus: normalising twice changes nothing");
}


/* the letters view of "in", or "-" where no word holds leetspeak */

static void
tk_letters_is(const char *in, const char *want, const char *name)
{
    int         rc;
    size_t      len;
    cm_skel_t   sk;
    cm_view_t   norm, lv;

    len = strlen(in);
    memset(&sk, 0, sizeof(cm_skel_t));
    memset(&lv, 0, sizeof(cm_view_t));

    rc = cm_view_norm(&tk_tracked, (const unsigned char *) in, len, &norm);

    if (rc == CM_OK) {
        rc = cm_view_skel(&tk_tracked, &norm, CM_SKEL_MERGED, &sk);
    }

    if (rc == CM_OK) {
        rc = cm_view_letters(&tk_tracked, &norm, &sk, &lv);
    }

    if (strcmp(want, "-") == 0) {
        ok(rc == CM_DECLINED && lv.text == NULL, name);

        if (rc == CM_OK) {
            printf("#   got: '%.*s'\n", (int) lv.len, lv.text);
        }

    } else {
        ok(rc == CM_OK && tk_view_valid(&lv, len)
           && lv.len == strlen(want) && memcmp(lv.text, want, lv.len) == 0,
           name);

        if (rc == CM_OK && (lv.len != strlen(want)
                            || memcmp(lv.text, want, lv.len) != 0))
        {
            printf("#   got: '%.*s'\n#   expected: '%s'\n", (int) lv.len,
                   lv.text, want);
        }
    }

    if (rc == CM_OK) {
        tk_free(&tk_mem, lv.text);
        tk_free(&tk_mem, lv.map);
    }

    tk_free(&tk_mem, sk.text);
    tk_free(&tk_mem, sk.off);
    tk_free(&tk_mem, sk.end);
    tk_free(&tk_mem, sk.gap);
    tk_free(&tk_mem, sk.flags);
    tk_free(&tk_mem, sk.units);
    tk_free(&tk_mem, sk.digits);
    tk_free(&tk_mem, sk.mtext);
    tk_free(&tk_mem, sk.mfirst);
    tk_free(&tk_mem, norm.text);
    tk_free(&tk_mem, norm.map);
}


static void
test_letters(void)
{
    cm_view_t  v;

    v.text = (unsigned char *) "jua| $@bu";
    v.len = 9;
    ok(cm_view_leet(&v), "leet: a symbol beside letters");

    v.text = (unsigned char *) "seru sekali! covid19, slot88 dan 5g";
    v.len = strlen((char *) v.text);
    ok(!cm_view_leet(&v), "leet: not '!' after a word, nor numbers");

    v.text = (unsigned char *) "g4cor";
    v.len = 5;
    ok(cm_view_leet(&v), "leet: a digit between letters");

    tk_letters_is("jua| $@bu murah", "jual sabu murah",
                  "letters: symbols as their letters, '|' as l");
    tk_letters_is("jud1 0nl1ne", "jud1 online",
                  "letters: digits as letters, '1' as i, but at the end");
    tk_letters_is("pr0bet855 doang", "probet855 doang",
                  "letters: a number at a word's end stays");
    tk_letters_is("t@|\\|p@ p0t0|\\|9@|\\|", "tanpa potongan",
                  "letters: drawn letters as one letter");
    tk_letters_is("d3p0$!t sekarang!", "deposit sekarang!",
                  "letters: '!' ending a sentence stays");
    tk_letters_is("WA: 0812-3456 ok", "-",
                  "letters: no word with leetspeak");
}
