/*
 * Rule loading and matching: syntax errors and where they are reported,
 * includes, word lists, options, scoring, match limits, offsets.
 */


#define _GNU_SOURCE                  /* memmem() */

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cm_engine.h"
#include "alloc.h"
#include "tap.h"


static const char *path(const char *name);
static void write_file(const char *name, const char *text);
static int load(const char *name, cm_ruleset_t **rsp, char *err);
static void load_error(const char *text, const char *want, ...);
static int match(cm_ruleset_t *rs, size_t nfields, const char **names,
    const char **values, const size_t *lens, cm_result_t *res);
static int match1(cm_ruleset_t *rs, const char *value, cm_result_t *res);
static cm_ruleset_t *rules(const char *text);
static void test_errors(void);
static void test_includes(void);
static void test_words(void);
static void test_disguises(void);
static void test_harmless(void);
static void test_exceptions(void);
static void test_word_edges(void);
static void test_loose(void);
static int load_rules_text(const char *text, cm_ruleset_t **rsp, char *err);
static void test_big_list(void);
static void test_count(void);
static void test_fields(void);
static void test_views(void);
static void test_scores(void);
static void test_limits(void);
static void test_offsets(void);
static void test_misc(void);
static void test_memory(void);
static void cleanup(void);


static char           dir[64];
static arena_t        arena;
static cm_alloc_t     arena_allocator = { arena_alloc, NULL, &arena };
static cm_scratch_t  *scratch;


int
main(void)
{
    strcpy(dir, "/tmp/cm_rules_test.XXXXXX");

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    /*
     * Zeroed: PCRE2's JIT reads whole vectors past the end of a subject,
     * harmless, but valgrind would report the uninitialised bytes.
     */

    arena.size = 1 << 20;
    arena.buf = calloc(1, arena.size);
    scratch = cm_scratch_create(&cm_alloc_malloc, 0, 0);

    ok(arena.buf && scratch, "scratch created");

    test_errors();
    test_includes();
    test_words();
    test_count();
    test_fields();
    test_views();
    test_scores();
    test_limits();
    test_offsets();
    test_misc();
    test_memory();

    cm_scratch_free(scratch);
    free(arena.buf);
    cleanup();

    return tap_done();
}


static void
test_errors(void)
{
    int            rc;
    char           err[CM_ERRLEN], want[CM_ERRLEN];
    cm_ruleset_t  *rs;

    load_error("# comment\n\nfoo 1 2 /a/\n",
               "main.rules:3: unknown directive \"foo\"");
    load_error("re x 1 /a/\n", "main.rules:1: bad rule id \"x\"");
    load_error("re 0 1 /a/\n", "main.rules:1: bad rule id \"0\"");
    load_error("re -4 1 /a/\n", "main.rules:1: bad rule id \"-4\"");
    load_error("re 99999999999 1 /a/\n",
               "main.rules:1: bad rule id \"99999999999\"");
    load_error("re 1 1 /a/\nre 2 x3 /a/\n",
               "main.rules:2: bad score \"x3\"");
    load_error("re 1\n", "main.rules:1: missing score");
    load_error("re 1 2\n", "main.rules:1: missing pattern");
    load_error("re 1 1 /abc\n", "main.rules:1: unterminated pattern");
    load_error("re 1 1 /ab\\/  # c\n", "main.rules:1: unterminated pattern");
    load_error("re 1 1 /a/iq\n", "main.rules:1: unknown pattern flag \"q\"");
    load_error("re 1 1 /a/ foo=1\n", "main.rules:1: unknown option \"foo\"");
    load_error("re 1 1 /a/ tag=x junk\n",
               "main.rules:1: unknown option \"junk\"");
    load_error("re 1 1 /a/ count=0\n", "main.rules:1: bad count \"0\"");
    load_error("re 1 1 /a/ max=x\n",
               "main.rules:1: bad max \"x\", must be hold or reject");
    load_error("re 1 -1 /a/ max=hold\n",
               "main.rules:1: \"max=hold\" is for a positive score");
    load_error("re 1 1 /a/ count=x\n", "main.rules:1: bad count \"x\"");
    load_error("re 1 1 /a/ tag=a.b\n", "main.rules:1: bad tag \"a.b\"");
    load_error("re 1 1 /a/ view=xx\n",
               "main.rules:1: bad view \"xx\", must be raw or norm");
    load_error("re 1 1 /a/ msg=\"abc\n", "main.rules:1: unterminated msg");
    load_error("re 1 1 /a/ tag=a tag=b\n",
               "main.rules:1: option \"tag\" given twice");
    load_error("re 1 1 /a/ field=a,,b\n",
               "main.rules:1: bad field list \"a,,b\"");

    load_error("re 7 1 /a/\n# x\nre 7 2 /b/\n",
               "main.rules:3: duplicate rule id 7 (first defined at "
               "%s:1)", path("main.rules"));

    /* PCRE2 errors: column of the offending character in the line */

    load_error("re 5 1 /ab(c/\n",
               "main.rules:1:13: missing closing parenthesis");
    load_error("\nre 5 1 /a\\/b)/i\n",
               "main.rules:2:13: unmatched closing parenthesis");
    load_error("re 5 1 /\xc3\xa9)/\n",
               "main.rules:1:10: unmatched closing parenthesis");
    load_error("re  5  1  /x{2,1}/\n",
               "main.rules:1:17: numbers out of order in {} quantifier");

    /* missing files */

    load_error("include nope.rules\n",
               "main.rules:1: cannot open \"%s\": No such file or directory",
               path("nope.rules"));

    write_file("w.rules", "words 1 1 nolist.txt\n");
    rc = load("w.rules", &rs, err);
    snprintf(want, sizeof(want), "%s:1: cannot open \"%s\": No such file "
             "or directory", path("w.rules"), path("nolist.txt"));
    is_int(rc, CM_ERROR, "missing word list");
    is_str(err, strlen(err), want, "missing word list error");
    cm_ruleset_free(rs);

    rc = load("none.rules", &rs, err);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory",
             path("none.rules"));
    is_int(rc, CM_ERROR, "missing top file");
    is_str(err, strlen(err), want, "missing top file error");
    cm_ruleset_free(rs);

    write_file("empty.txt", "# nothing\n\n   \n");
    load_error("words 1 1 empty.txt\n",
               "main.rules:1: word list \"%s\" is empty", path("empty.txt"));

    load_error("words 1 1 empty.txt count=2\n",
               "main.rules:1: unknown option \"count\" for a words rule");

    /* include loops, directly and indirectly */

    load_error("re 1 1 /a/\ninclude main.rules\n",
               "main.rules:2: include loop: \"%s\" is already being read",
               path("main.rules"));

    write_file("loop/a.rules", "include b.rules\n");
    write_file("loop/b.rules", "re 1 1 /a/\n\ninclude a.rules\n");
    rc = load("loop/a.rules", &rs, err);
    snprintf(want, sizeof(want), "%s:3: include loop: \"%s\" is already "
             "being read", path("loop/b.rules"), path("loop/a.rules"));
    is_int(rc, CM_ERROR, "indirect include loop");
    is_str(err, strlen(err), want, "indirect include loop error");

    rc = cm_ruleset_compile(rs, err, sizeof(err));
    is_int(rc, CM_ERROR, "a rule set with errors does not compile");
    cm_ruleset_free(rs);
}


static void
test_includes(void)
{
    int             rc;
    char            err[CM_ERRLEN], name[64], text[64], want[CM_ERRLEN];
    unsigned        i;
    cm_result_t     res;
    cm_ruleset_t   *rs;
    cm_rule_info_t  info;

    write_file("inc/main.rules", "include sub/a.rules\n");
    write_file("inc/sub/a.rules",
               "include b.rules\nwords 10 1 lists/w.txt tag=w\n");
    write_file("inc/sub/b.rules", "re 11 2 /xyz/\n");
    write_file("inc/sub/lists/w.txt", "foo\n");

    rc = load("inc/main.rules", &rs, err);
    is_int(rc, CM_OK, "includes relative to the including file");
    is_int(cm_ruleset_nrules(rs), 2, "two rules");

    cm_ruleset_rule(rs, 0, &info);
    is_int(info.id, 11, "included rule first");
    is_str(info.file, strlen(info.file), path("inc/sub/b.rules"),
           "rule file");
    is_int(info.line, 1, "rule line");

    cm_ruleset_rule(rs, 1, &info);
    is_int(info.line, 2, "words rule line");

    rc = match1(rs, "a foo xyz", &res);
    is_int(rc, CM_OK, "match");
    is_int(res.score, 3, "both included rules match");
    cm_ruleset_free(rs);

    /* 16 levels of include are fine, 17 are not */

    for (i = 0; i <= 17; i++) {
        snprintf(name, sizeof(name), "deep/%u.rules", i);
        snprintf(text, sizeof(text), "include %u.rules\n", i + 1);
        write_file(name, text);
    }

    write_file("deep/16.rules", "re 1 1 /a/\n");

    rc = load("deep/0.rules", &rs, err);
    is_int(rc, CM_OK, "16 levels of include");
    cm_ruleset_free(rs);

    write_file("deep/16.rules", "include 17.rules\n");
    write_file("deep/17.rules", "re 1 1 /a/\n");

    rc = load("deep/0.rules", &rs, err);
    snprintf(want, sizeof(want), "%s:1: includes nested too deeply (more "
             "than 16 levels)", path("deep/16.rules"));
    is_int(rc, CM_ERROR, "17 levels of include");
    is_str(err, strlen(err), want, "include depth error");
    cm_ruleset_free(rs);

    /* an absolute path */

    snprintf(text, sizeof(text), "include %s\n", path("inc/sub/b.rules"));
    write_file("abs.rules", text);
    rc = load("abs.rules", &rs, err);
    is_int(rc, CM_OK, "absolute include path");
    cm_ruleset_free(rs);
}


static void
test_words(void)
{
    cm_result_t    res;
    cm_ruleset_t  *rs;

    write_file("words.txt",
               "# profanity\n\nasu\n  tai\t\nbabi # animal\n"
               "slot   gacor\njudi online\nc++\n");

    rs = rules("words 100 5 words.txt tag=kasar\n");
    ok(rs != NULL, "words rule loads");

    match1(rs, "kasus korupsi", &res);
    is_int(res.nhits, 0, "\"asu\" not inside \"kasus\"");

    match1(rs, "liburan ke pantai", &res);
    is_int(res.nhits, 0, "\"tai\" not inside \"pantai\"");

    match1(rs, "Babinsa datang", &res);
    is_int(res.nhits, 0, "\"babi\" not inside \"Babinsa\"");

    match1(rs, "kasus_x xasu1 1asux", &res);
    is_int(res.nhits, 0, "letters around a word: no match");

    match1(rs, "asu1", &res);
    is_int(res.nhits, 1, "digits are not letters: \"asu1\"");

    match1(rs, "1asu", &res);
    is_int(res.nhits, 1, "digits are not letters: \"1asu\"");

    match1(rs, "asu_x", &res);
    is_int(res.nhits, 1, "_ is not a letter");

    match1(rs, "ASU", &res);
    is_int(res.nhits, 1, "\"ASU\" alone matches");

    match1(rs, "dasar asu!", &res);
    is_int(res.nhits, 1, "\"asu\" before punctuation");
    is_int(res.hits[0].start, 6, "start");
    is_int(res.hits[0].end, 9, "end");
    is_int(res.score, 5, "score");

    match1(rs, "main Slot \t  GACOR sekarang", &res);
    is_int(res.nhits, 1, "phrase with extra spaces matches");
    is_int(res.hits[0].start, 5, "phrase start");
    is_int(res.hits[0].end, 18, "phrase end");

    match1(rs, "#slotgacor", &res);
    is_int(res.nhits, 1, "the words of a phrase may be joined");

    match1(rs, "slotgacorx", &res);
    is_int(res.nhits, 0, "joined phrase: still whole words");

    match1(rs, "belajar c++ yuk", &res);
    is_int(res.nhits, 1, "entries are literal");

    cm_ruleset_free(rs);

    /* the list is factored on common prefixes: same matches */

    write_file("trie.txt",
               "asuransi\nasu\nASU\nslot gacor\nslot\nslot \t online\n"
               "caf\xc3\xa9\ncaf\xc3\xa8\ncaf\nx.y\nx\n");

    rs = rules("words 101 1 trie.txt\n");
    ok(rs != NULL, "words with shared prefixes");

    match1(rs, "bayar asuransi", &res);
    ok(res.nhits == 1 && res.hits[0].start == 6 && res.hits[0].end == 14,
       "longer word after its prefix");

    match1(rs, "asur asurans", &res);
    is_int(res.nhits, 0, "partial words do not match");

    match1(rs, "ke CAF", &res);
    is_int(res.nhits, 1, "prefix alone");

    match1(rs, "ke caf\xc3\xa8 dulu", &res);
    ok(res.nhits == 1 && res.hits[0].end == 8, "non-ASCII last letter");

    match1(rs, "caf\xc3\xa9s caf\xc3\xa0 xy", &res);
    is_int(res.nhits, 0, "non-ASCII: whole words only");

    match1(rs, "main slot   online", &res);
    ok(res.nhits == 1 && res.hits[0].end == 18, "phrase after a prefix");

    match1(rs, "slots xz.y", &res);
    is_int(res.nhits, 0, "slots, xz.y");

    match1(rs, "a x.y", &res);
    is_int(res.nhits, 1, "x.y");

    cm_ruleset_free(rs);

    test_disguises();
    test_harmless();
    test_exceptions();
    test_word_edges();
    test_loose();
    test_big_list();
}


/* a word written once matches through leetspeak, separators, stretching */

static void
test_disguises(void)
{
    char           name[128];
    size_t         i;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    static const char  *hit[] = {
        "sl0t g4c0r",                          /* leetspeak */
        "m4xw1n hari ini",
        "$lot gacor",
        "5L0T GACOR",
        "s.l.0.t  g4coorr",                    /* the example */
        "s l o t gacor",                       /* spelled out */
        "s_l_o_t g_a_c_o_r",
        "s - l - o - t gacor",
        "main j-u-d-i sekarang",
        "j.u.d.i",
        "slot g a c o r",                      /* each word its own way */
        "slooot gacoorrr",                     /* stretched */
        "sloot-gacor",                         /* phrase separators */
        "slot \xf0\x9f\x94\xa5 gacor",         /* an emoji between */
        "\xf0\x9d\x90\x92\xf0\x9d\x90\x8b\xf0\x9d\x90\x8e"
        "\xf0\x9d\x90\x93 gacor",                /* bold math letters */
        "\xd1\x95lot gacor",                   /* Cyrillic dze */
        "sl\xe2\x80\x8bot gacor",              /* zero-width space */
        "daftar di slot88 sekarang",           /* digits stick to names */
        "slot777",
        "pakai tai?",
        "tai!!",
        "88slot",
        "dasar b4b1",
        "dasar b@bi!",
        "A S U",
        "bukti s l o t",
        NULL
    };

    static const char  *miss[] = {
        "a su",                                /* not spelled out */
        "as u",
        "k a s u s",                           /* inside a spelled word */
        "m a s u k",
        "ta!",                                 /* no symbol at the end */
        "bangsa+",
        "741",                                 /* a real letter needed */
        "Rp 741 ribu",
        "7 4 1",
        "slots",
        "gacorx",
        NULL
    };

    write_file("disguise.txt", "slot gacor\nslot\nmaxwin\njudi\nbabi\n"
               "asu\ntai\n");

    rs = rules("words 110 5 disguise.txt\n");
    ok(rs != NULL, "disguise list loads");

    if (rs == NULL) {
        return;
    }

    for (i = 0; hit[i]; i++) {
        match1(rs, hit[i], &res);
        snprintf(name, sizeof(name), "disguised: \"%s\"", hit[i]);
        ok(res.nhits == 1, name);
    }

    for (i = 0; miss[i]; i++) {
        match1(rs, miss[i], &res);
        snprintf(name, sizeof(name), "not a word of the list: \"%s\"",
                 miss[i]);
        ok(res.nhits == 0, name);
    }

    /* the match is reported on the original text */

    match1(rs, "ayo s.l.0.t  g4coorr!", &res);
    ok(res.nhits == 1 && res.hits[0].start == 4 && res.hits[0].end == 20,
       "spelled-out match offsets");

    cm_ruleset_free(rs);
}


/* harmless words that contain, or resemble, profanity */

static void
test_harmless(void)
{
    char           name[128];
    size_t         i;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    static const char  *pass[] = {
        "kasus korupsi", "asumsi saya", "asuransi jiwa", "liburan ke pantai",
        "santai saja", "Babinsa datang", "babinsa", "BABINSA",
        "Bhabinkamtibmas hadir", "burung memekik", "bangsa Indonesia",
        "anjungan tunai", "anjing pelacak menemukan narkoba",
        "slot parkir penuh", "wabah flu babi", "Kasus", "pantai-pantai",
        "a.s.u.r.a.n.s.i", "b a b i n s a", "bangsanya", "asuhan",
        "kontolo", "mentai", "taiwan", "tahu", NULL
    };

    write_file("kasar.txt", "# profanity and what it must not hit\n"
               "asu\ntai\nbabi\nmemek\nbangsat\nanjing\nslot\nkontol\n"
               "!anjing pelacak\n!slot parkir\n!flu babi\n");

    rs = rules("words 111 6 kasar.txt\n");
    ok(rs != NULL, "profanity list loads");

    if (rs == NULL) {
        return;
    }

    for (i = 0; pass[i]; i++) {
        match1(rs, pass[i], &res);
        snprintf(name, sizeof(name), "harmless: \"%s\"", pass[i]);
        ok(res.nhits == 0, name);
    }

    match1(rs, "dasar bangsat", &res);
    is_int(res.nhits, 1, "\"bangsat\" still matches");

    match1(rs, "anjing lu", &res);
    is_int(res.nhits, 1, "\"anjing\" outside its exception");

    cm_ruleset_free(rs);
}


/* "!phrase" entries hide the words inside them */

static void
test_exceptions(void)
{
    char           err[CM_ERRLEN], want[CM_ERRLEN];
    cm_result_t    res;
    cm_ruleset_t  *rs;

    write_file("exc.txt", "anjing\nbabi\n!  Anjing   Pelacak\n!flu babi\n"
               "!\n");

    rs = rules("words 112 6 exc.txt\n");
    ok(rs != NULL, "list with exceptions loads");

    if (rs == NULL) {
        return;
    }

    match1(rs, "ANJING PELACAK", &res);
    is_int(res.nhits, 0, "exception: any case and spacing");

    match1(rs, "4nj1ng p3lacak", &res);
    is_int(res.nhits, 0, "exceptions are matched disguised too");

    match1(rs, "anjing pelacak, dasar anjing", &res);
    ok(res.nhits == 1 && res.hits[0].start == 22,
       "a word after an exception still matches");

    match1(rs, "dasar anjing! anjing pelacak", &res);
    ok(res.nhits == 1 && res.hits[0].start == 6,
       "a word before an exception still matches");

    match1(rs, "flu babi, anjing pelacak", &res);
    is_int(res.nhits, 0, "two exceptions");

    match1(rs, "anjing pelacakan", &res);
    is_int(res.nhits, 1, "an exception is whole words too");

    cm_ruleset_free(rs);

    write_file("onlyexc.txt", "!anjing pelacak\n");
    rs = NULL;

    if (load_rules_text("words 113 1 onlyexc.txt\n", &rs, err) == CM_ERROR) {
        snprintf(want, sizeof(want), "%s:1: word list \"%s\" has only "
                 "exceptions", path("test.rules"), path("onlyexc.txt"));
        is_str(err, strlen(err), want, "a list of exceptions only");

    } else {
        ok(0, "a list of exceptions only");
    }

    cm_ruleset_free(rs);
}


/*
 * Where words start and end: spelled-out forms start with a character
 * and a separator, U+FFFD garbled into MacRoman ends a word, and a list
 * for the raw view still ignores case.
 */

static void
test_word_edges(void)
{
    char           name[128];
    size_t         i;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    static const char  *hit[] = {
        "ndasmu\xc3\x94\xc3\xb8\xce\xa9",       /* ndasmu + garbled U+FFFD */
        "logika ndasmu\xc3\x94\xc3\xb8\xce\xa9 x",
        "dasar ASU\xc3\x94\xc3\xb8\xce\xa9!",
        "ssss l o t",                          /* stretched, spelled out */
        "dd.a.s.a.r",
        "n d a s m u",
        NULL
    };

    static const char  *miss[] = {
        "ndasmuoowx",                          /* "oow" inside a word */
        "asuoowoow",
        "ndasmux",
        "s lot",
        "da sar",
        "sa l o t",
        NULL
    };

    write_file("edges.txt", "ndasmu\nasu\nslot\ndasar\n");

    rs = rules("words 114 5 edges.txt\n");
    ok(rs != NULL, "edge list loads");

    if (rs == NULL) {
        return;
    }

    for (i = 0; hit[i]; i++) {
        match1(rs, hit[i], &res);
        snprintf(name, sizeof(name), "word edge: \"%s\"", hit[i]);
        ok(res.nhits == 1, name);
    }

    for (i = 0; miss[i]; i++) {
        match1(rs, miss[i], &res);
        snprintf(name, sizeof(name), "no word edge: \"%s\"", miss[i]);
        ok(res.nhits == 0, name);
    }

    match1(rs, "logika ndasmu\xc3\x94\xc3\xb8\xce\xa9", &res);
    ok(res.nhits == 1 && res.hits[0].start == 7 && res.hits[0].end == 13,
       "the garbled character is not part of the match");

    cm_ruleset_free(rs);

    rs = rules("words 115 5 edges.txt view=raw\n");
    ok(rs != NULL, "raw-view list loads");

    if (rs == NULL) {
        return;
    }

    match1(rs, "Dasar NDASMU", &res);
    is_int(res.nhits, 1, "raw view: any case");

    match1(rs, "ndasmu\xc3\x94\xc3\xb8\xce\xa9", &res);
    is_int(res.nhits, 1, "raw view: garbled U+FFFD ends a word");

    cm_ruleset_free(rs);
}


/*
 * Loose ("~") entries: long site names cut anywhere, glued to other words,
 * "I" for "l"; strict entries of the same list keep their rules.
 */

static void
test_loose(void)
{
    char           name[160], err[CM_ERRLEN], want[CM_ERRLEN];
    size_t         i;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    static const char  *hit[] = {
        "Ga Ru Da Ho Ki",
        "Garuda-Ho ki",
        "diGa rudaho-ki",
        "Gar uda-Ho ki",
        "GGA RU DA HO KI",
        "MantappGarudahoki,2hari",
        "BAN TE NG HO KI",
        "keP" "\xcd\x9f" "U" "\xcd\x9f" "L" "\xcd\x9f" "A" "\xcd\x9f"
            "U" "\xcd\x9f" "W" "\xcd\x9f" "I" "\xcd\x9f" "N" "\xcd\x9f"
            "?",                                 /* marks under PULAUWIN */
        "Auto tajir bareng PuIauwin",
        "di Pulau 7/7/7 kita",
        "Pulau7/7/7, uang",
        "di puIau777",
        "M E G A B E T 99",
        "Alexis'17 aku",
        "p/ulau77-7",
        "g4rudah0k1",                            /* stand-ins */
        "4lexis17",
        "slot88",                                /* strict, as before */
        NULL
    };

    static const char  *miss[] = {
        "garuda hoka",                           /* letters differ */
        "garudahki",                             /* one missing */
        "pulau 77",
        "pulau wan",                             /* not win */
        "9arudahok",                             /* the last letter gone */
        "alexis 71",
        "Ga . . . . Ru Da Ho Ki",                /* 4 separators */
        "meg abet 9",
        "kasus",                                 /* strict "asu" */
        "a su",
        "pantai",                                /* strict "tai" */
        NULL
    };

    write_file("loose.txt", "# site names\n~garudahoki\n~ bantenghoki\n"
               "~pulauwin\n~Pulau 777\n~megabet99\n~alexis'17\n"
               "asu\ntai\nslot\n");

    rs = rules("words 116 7 loose.txt\n");
    ok(rs != NULL, "list with loose entries loads");

    if (rs == NULL) {
        return;
    }

    for (i = 0; hit[i]; i++) {
        match1(rs, hit[i], &res);
        snprintf(name, sizeof(name), "loose: \"%s\"", hit[i]);
        ok(res.nhits == 1, name);
    }

    for (i = 0; miss[i]; i++) {
        match1(rs, miss[i], &res);
        snprintf(name, sizeof(name), "not loose: \"%s\"", miss[i]);
        ok(res.nhits == 0, name);
    }

    match1(rs, "MantappGarudahoki,2hari", &res);
    ok(res.nhits == 1 && res.hits[0].start == 7 && res.hits[0].end == 17,
       "a glued loose match is the name only");

    cm_ruleset_free(rs);

    /* the same list for the raw view: any case */

    rs = rules("words 117 7 loose.txt view=raw\n");
    ok(rs != NULL, "raw-view list with loose entries loads");

    if (rs != NULL) {
        match1(rs, "diGa Ru Da-Ho Ki", &res);
        is_int(res.nhits, 1, "raw view: loose entry in any case");

        match1(rs, "Garuda Hoka", &res);
        is_int(res.nhits, 0, "raw view: loose entry, letters differ");

        cm_ruleset_free(rs);
    }

    /* an exception still hides a loose name inside it */

    write_file("loosexc.txt", "~garudahoki\n!garuda hoki banget\n");

    rs = rules("words 118 7 loosexc.txt\n");
    ok(rs != NULL, "loose entries with an exception load");

    if (rs != NULL) {
        match1(rs, "timnas garuda hoki banget", &res);
        is_int(res.nhits, 0, "an exception hides a loose entry");

        match1(rs, "main di garudahoki", &res);
        is_int(res.nhits, 1, "a loose entry outside the exception");

        cm_ruleset_free(rs);
    }

    /* too short for a loose entry: the list file and its line */

    write_file("shortloose.txt", "# names\nslot\n\n~ho-ki 8\n");
    rs = NULL;

    if (load_rules_text("words 119 1 shortloose.txt\n", &rs, err)
        == CM_ERROR)
    {
        snprintf(want, sizeof(want), "%s:4: loose entry too short, needs "
                 "at least 6 letters", path("shortloose.txt"));
        is_str(err, strlen(err), want, "a short loose entry");

    } else {
        ok(0, "a short loose entry");
    }

    cm_ruleset_free(rs);

    write_file("shortloose.txt", "~hoki88\n");
    rs = rules("words 119 1 shortloose.txt\n");
    ok(rs != NULL, "six letters and digits make a loose entry");
    cm_ruleset_free(rs);
}


/* too large for one PCRE2 regex: split, every word still found */

static void
test_big_list(void)
{
    FILE           *f;
    char            word[32], first[32], middle[32], last[32], text[128];
    size_t          i, j, len;
    uint32_t        x;
    cm_result_t     res;
    cm_ruleset_t   *rs;

    f = fopen(path("big.txt"), "w");
    if (f == NULL) {
        perror("big.txt");
        return;
    }

    x = 12345;

    for (i = 0; i < 30000; i++) {
        x = x * 1103515245 + 12345;
        len = 4 + (x >> 16) % 9;

        for (j = 0; j < len; j++) {
            x = x * 1103515245 + 12345;
            word[j] = 'a' + (x >> 16) % 26;
        }

        word[len] = '\0';
        fprintf(f, "%s\n", word);

        if (i == 0) {
            strcpy(first, word);

        } else if (i == 15000) {
            strcpy(middle, word);
        }

        strcpy(last, word);
    }

    fclose(f);

    rs = rules("words 102 1 big.txt\n");
    ok(rs != NULL, "30000 words");

    snprintf(text, sizeof(text), "%s", first);
    match1(rs, text, &res);
    is_int(res.nhits, 1, "first word");

    snprintf(text, sizeof(text), "x %s x", middle);
    match1(rs, text, &res);
    is_int(res.nhits, 1, "middle word");

    snprintf(text, sizeof(text), "%s!", last);
    match1(rs, text, &res);
    is_int(res.nhits, 1, "last word");

    match1(rs, "qqqqqqqqqqqqqqqqqq", &res);
    is_int(res.nhits, 0, "not in the list");

    cm_ruleset_free(rs);
}


static void
test_count(void)
{
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = rules("re 200 2 /gacor/i count=3\n");

    match1(rs, "gacor GACOR", &res);
    is_int(res.nhits, 0, "count=3: two matches are not enough");

    match1(rs, "gacor gacor gacor", &res);
    is_int(res.nhits, 1, "count=3: three matches");
    is_int(res.hits[0].id, 200, "count=3 rule");
    is_int(res.hits[0].count, 3, "hit count");
    is_int(res.hits[0].start, 0, "first match reported");
    is_int(res.hits[0].end, 5, "first match end");

    match1(rs, "gacorgacorgacor", &res);
    is_int(res.nhits, 1, "adjacent matches");

    cm_ruleset_free(rs);

    rs = rules("re 201 1 /x*/ count=4\n"
               "re 202 1 /a*/ count=4\n"
               "re 203 1 /a*/ count=5\n");

    match1(rs, "bc", &res);
    is_int(res.nhits, 0, "empty matches at 0, 1, 2: not 4");

    match1(rs, "bcd", &res);
    ok(res.nhits == 2 && res.hits[0].id == 201 && res.hits[1].id == 202,
       "empty matches at 0, 1, 2, 3");

    /* "baab": "", "aa", "", "" as in Perl */
    match1(rs, "baab", &res);
    ok(res.nhits == 2 && res.hits[1].id == 202,
       "after an empty match a longer one at the same place");

    match1(rs, "\xc3\xa9\xc3\xa9\xc3\xa9", &res);
    ok(res.nhits == 2 && res.hits[0].id == 201 && res.hits[1].id == 202,
       "empty matches step over whole characters");

    cm_ruleset_free(rs);
}


static void
test_fields(void)
{
    size_t         lens[3];
    const char    *names[3], *values[3];
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = rules("re 300 1 /spam/ field=title,body\n"
               "re 301 2 /x/\n");

    names[0] = "comment"; values[0] = "spam x";
    names[1] = "title";   values[1] = "x spam";
    names[2] = "body";    values[2] = "spam";

    lens[0] = 6; lens[1] = 6; lens[2] = 4;

    match(rs, 3, names, values, lens, &res);
    is_int(res.nhits, 2, "two rules hit");
    is_int(res.hits[0].id, 300, "field= rule");
    is_int(res.hits[0].field, 1, "first listed field that matches");
    is_int(res.hits[0].start, 2, "offset in that field");
    is_int(res.hits[1].id, 301, "all-fields rule");
    is_int(res.hits[1].field, 0, "first field");
    is_int(res.score, 3, "a rule counts once over many fields");

    match(rs, 1, names, values, lens, &res);
    is_int(res.nhits, 1, "field= rule ignores other fields");

    names[0] = "titles";
    match(rs, 1, names, values, lens, &res);
    is_int(res.nhits, 1, "field names match exactly");

    cm_ruleset_free(rs);
}


static void
test_views(void)
{
    int            want;
    const char    *text;
    cm_view_t      v;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = rules("re 400 1 /&amp;/ view=raw\n"
               "re 401 2 /&amp;/ view=norm\n"
               "re 402 4 /AB/\n"
               "re 403 8 /AB/ view=raw\n");

    text = "x &amp; AB";

    match1(rs, text, &res);

    ok(res.nhits >= 1 && res.hits[0].id == 400, "view=raw sees the raw text");

    /* what the normalised view holds is cm_norm.c's business */

    cm_view_norm(&arena_allocator, (const unsigned char *) text,
                 strlen(text), &v);
    want = 1 + 8;

    if (memmem(v.text, v.len, "&amp;", 5)) {
        want += 2;
    }

    if (memmem(v.text, v.len, "AB", 2)) {
        want += 4;
    }

    is_int(res.score, want, "norm rules match the normalised view");

    cm_ruleset_free(rs);
}


static void
test_scores(void)
{
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = rules("re 500 8 /judi/\n"
               "re 501 -3 /berita/ tag=news\n"
               "re 502 +2 /online/\n");

    match1(rs, "berita judi online", &res);
    is_int(res.nhits, 3, "three hits");
    is_int(res.score, 7, "scores add up, negative ones too");
    ok(res.hits[0].id == 500 && res.hits[1].id == 501
       && res.hits[2].id == 502, "hits in rule order");
    is_int(res.hits[1].score, -3, "negative score");
    is_str(res.hits[1].tag, strlen(res.hits[1].tag), "news", "tag");
    is_str(res.hits[0].tag, strlen(res.hits[0].tag), "", "no tag");

    match1(rs, "berita", &res);
    is_int(res.score, -3, "negative total");
    is_int(cm_decide(&res, 5, 10), CM_PASS, "pass");

    match1(rs, "", &res);
    ok(res.nhits == 0 && res.score == 0, "empty comment");

    cm_ruleset_free(rs);

    /* max=hold: counts to hold, never to reject */

    rs = rules("re 510 5 /judi/ max=hold\n"
               "re 511 5 /slot/\n"
               "re 512 6 /gacor/ max=reject\n");

    match1(rs, "judi", &res);
    ok(res.score == 5 && res.capped == 5
       && cm_decide(&res, 5, 10) == CM_HOLD, "max=hold alone holds");

    match1(rs, "judi slot", &res);
    ok(res.score == 10 && res.capped == 5
       && cm_decide(&res, 5, 10) == CM_HOLD,
       "max=hold with a rule of 5: held, not rejected");

    match1(rs, "judi slot gacor", &res);
    ok(res.score == 16 && cm_decide(&res, 5, 10) == CM_REJECT,
       "the other rules reach 10 on their own: rejected");

    match1(rs, "slot gacor", &res);
    ok(res.capped == 0 && cm_decide(&res, 5, 10) == CM_REJECT,
       "max=reject is the default");

    cm_ruleset_free(rs);
}


static void
test_limits(void)
{
    char             err[CM_ERRLEN];
    double           t;
    cm_field_t       f;
    cm_result_t      res;
    cm_scratch_t    *s;
    cm_ruleset_t    *rs;
    struct timespec  t0, t1;

    rs = rules("re 600 5 /(a+)+$/\n"
               "re 601 1 /a/\n");

    clock_gettime(CLOCK_MONOTONIC, &t0);
    match1(rs, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    t = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

    is_int(res.nlimited, 1, "catastrophic backtracking hits the limit");
    is_int(res.limited[0], 600, "limited rule id");
    ok(res.nhits == 1 && res.hits[0].id == 601, "limited rule not matched");
    is_int(res.score, 1, "limited rule not scored");
    ok(t < 1.0, "returns promptly");

    /* a scratch with a tiny limit and the interpreter's depth limit */

    s = cm_scratch_create(&cm_alloc_malloc, 10, 2);
    ok(s != NULL, "scratch with limits");

    f.name = (const unsigned char *) "comment";
    f.name_len = 7;
    f.value = (const unsigned char *) "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    f.value_len = 32;
    f.flags = 0;

    arena.used = 0;
    cm_match(rs, s, &arena_allocator, &f, 1, &res, err, sizeof(err));

        ok(res.nlimited >= 1 && res.limited[0] == 600, "tiny limit");

    cm_scratch_free(s);
    cm_ruleset_free(rs);
}


static void
test_offsets(void)
{
    size_t         lens[1];
    const char    *names[1], *values[1];
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = rules("re 700 1 /slot gacor/\n"
               "re 701 1 /gacor/ view=raw\n");

    names[0] = "comment";
    values[0] = "ab\xff\xfe" "sl\x00ot gacor!";
    lens[0] = 16;

    match(rs, 1, names, values, lens, &res);
    is_int(res.nhits, 2, "invalid bytes and NUL dropped");
    is_int(res.hits[0].start, 4, "start in the original");
    is_int(res.hits[0].end, 15, "end in the original");
    is_int(res.hits[1].start, 10, "raw view start in the original");
    is_int(res.hits[1].end, 15, "raw view end in the original");

    values[0] = "\xc3\xa9slot\xff gacor";
    lens[0] = 13;

    match(rs, 1, names, values, lens, &res);
    is_int(res.hits[0].start, 2, "after a 2-byte character");
    is_int(res.hits[0].end, 13, "end at the end of the value");

    cm_ruleset_free(rs);
}


static void
test_misc(void)
{
    int             rc;
    char            err[CM_ERRLEN];
    cm_field_t      f;
    cm_result_t     res;
    cm_ruleset_t   *rs;
    cm_rule_info_t  info;

    rs = rules("re 800 1 /https?:\\/\\/x\\.id/ msg=\"say \\\"hi\\\" \\\\ ok\" "
               "# comment\r\n"
               "re 801 1 /a#b/ tag=t-1_x # comment with /slashes/\r\n"
               "re 802 1 /\\\\/\n"
               "re 803 1 /^b$/m view=raw\n"
               "re 804 1 /b.c/s view=raw\n"
               "re 805 1 /a b/x\n");
    ok(rs != NULL, "escapes, comments, CRLF, flags");

    cm_ruleset_rule(rs, 0, &info);
    is_str(info.msg, strlen(info.msg), "say \"hi\" \\ ok", "msg escapes");
    cm_ruleset_rule(rs, 1, &info);
    is_str(info.tag, strlen(info.tag), "t-1_x", "tag");
    is_int(cm_ruleset_rule(rs, 6, &info), CM_ERROR, "no rule 6");

    match1(rs, "lihat http://x.id", &res);
    ok(res.nhits == 1 && res.hits[0].id == 800, "\\/ is a slash");

    match1(rs, "a#b", &res);
    ok(res.nhits == 1 && res.hits[0].id == 801, "# inside a pattern");

    match1(rs, "c:\\x", &res);
    ok(res.nhits == 1 && res.hits[0].id == 802, "\\\\ before the slash");

    match1(rs, "a\nb\nc", &res);
    ok(res.nhits == 2 && res.hits[0].id == 803 && res.hits[1].id == 804,
       "m and s flags");

    match1(rs, "ab", &res);
    ok(res.nhits == 1 && res.hits[0].id == 805, "x flag");

    cm_ruleset_free(rs);

    /* matching needs a compiled rule set; no fields is fine */

    rs = cm_ruleset_create(&cm_alloc_malloc);
    f.name = (const unsigned char *) "c";
    f.name_len = 1;
    f.value = (const unsigned char *) "x";
    f.value_len = 1;
    f.flags = 0;

    rc = cm_match(rs, scratch, &cm_alloc_malloc, &f, 1, &res, err,
                  sizeof(err));
    is_int(rc, CM_ERROR, "not compiled");

    cm_ruleset_compile(rs, err, sizeof(err));
    rc = cm_match(rs, scratch, &cm_alloc_malloc, NULL, 0, &res, err,
                  sizeof(err));
    ok(rc == CM_OK && res.nhits == 0, "no rules, no fields");

    rc = cm_ruleset_add_file(rs, path("main.rules"), err, sizeof(err));
    is_int(rc, CM_ERROR, "no files after compile");

    cm_ruleset_free(rs);
}


/* every byte from the rule set's allocator is given back */

static void
test_memory(void)
{
    int            rc;
    char           err[CM_ERRLEN];
    counter_t      c;
    cm_alloc_t     a;
    cm_field_t     f;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    memset(&c, 0, sizeof(c));
    a.alloc = count_alloc;
    a.free = count_free;
    a.data = &c;

    write_file("mem/main.rules", "include more.rules\n"
               "words 1 1 w.txt\nre 2 1 /b+/ count=2\nre 3 1 /(a+)+$/\n");
    write_file("mem/more.rules", "re 4 1 /x/ field=a,b msg=\"m\" tag=t\n");
    write_file("mem/w.txt", "foo\nbar baz\n");

    rs = cm_ruleset_create(&a);
    rc = cm_ruleset_add_file(rs, path("mem/main.rules"), err, sizeof(err));
    is_int(rc, CM_OK, "loads");
    cm_ruleset_compile(rs, err, sizeof(err));

    f.name = (const unsigned char *) "a";
    f.name_len = 1;
    f.value = (const unsigned char *) "foo b bb x aaaaaaaaaaaaaaaaaaaaaaaa!";
    f.value_len = strlen((const char *) f.value);
    f.flags = 0;

    rc = cm_match(rs, scratch, &a, &f, 1, &res, err, sizeof(err));
    ok(rc == CM_OK && res.nhits == 3 && res.nlimited == 1,
       "match with a freeing allocator");

    a.free(a.data, res.hits);
    a.free(a.data, res.limited);

    cm_ruleset_free(rs);
    ok(c.allocs > 0 && c.allocs == c.frees, "rule set memory all freed");

    /* a failed load too */

    memset(&c, 0, sizeof(c));
    write_file("mem/bad.rules", "include more.rules\nre 9 1 /(/\n");
    rs = cm_ruleset_create(&a);
    rc = cm_ruleset_add_file(rs, path("mem/bad.rules"), err, sizeof(err));
    is_int(rc, CM_ERROR, "fails");
    cm_ruleset_free(rs);
    ok(c.allocs > 0 && c.allocs == c.frees, "failed rule set all freed");
}


static const char *
path(const char *name)
{
    static int   n;
    static char  buf[4][256];

    n = (n + 1) % 4;
    snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);

    return buf[n];
}


static void
write_file(const char *name, const char *text)
{
    char        *p, d[256];
    FILE        *f;
    const char  *full;

    full = path(name);

    /* parent directories */

    snprintf(d, sizeof(d), "%s", full);

    for (p = d + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(d, 0700);
        *p = '/';
    }

    f = fopen(full, "w");
    if (f == NULL) {
        perror(full);
        exit(1);
    }

    fputs(text, f);
    fclose(f);
}


static int
load(const char *name, cm_ruleset_t **rsp, char *err)
{
    int  rc;

    err[0] = '\0';
    *rsp = cm_ruleset_create(&cm_alloc_malloc);

    rc = cm_ruleset_add_file(*rsp, path(name), err, CM_ERRLEN);
    if (rc != CM_OK) {
        return rc;
    }

    return cm_ruleset_compile(*rsp, err, CM_ERRLEN);
}


/* main.rules holding "text" fails to load with "dir/" + want */

static void
load_error(const char *text, const char *want, ...)
{
    int            rc;
    char           err[CM_ERRLEN], w[CM_ERRLEN], full[2 * CM_ERRLEN];
    va_list        args;
    cm_ruleset_t  *rs;

    va_start(args, want);
    vsnprintf(w, sizeof(w), want, args);
    va_end(args);

    snprintf(full, sizeof(full), "%s/%s", dir, w);

    write_file("main.rules", text);

    rc = load("main.rules", &rs, err);

    is_int(rc, CM_ERROR, w);
    is_str(err, strlen(err), full, w);

    cm_ruleset_free(rs);
}


static int
match(cm_ruleset_t *rs, size_t nfields, const char **names,
    const char **values, const size_t *lens, cm_result_t *res)
{
    int         rc;
    char        err[CM_ERRLEN];
    size_t      i;
    cm_field_t  f[8];

    arena.used = 0;

    for (i = 0; i < nfields; i++) {
        f[i].name = (const unsigned char *) names[i];
        f[i].name_len = strlen(names[i]);
        f[i].value = (const unsigned char *) values[i];
        f[i].value_len = lens[i];
        f[i].flags = 0;
    }

    rc = cm_match(rs, scratch, &arena_allocator, f, nfields, res, err,
                  sizeof(err));

    if (rc != CM_OK) {
        printf("# cm_match: %s\n", err);
    }

    return rc;
}


static int
match1(cm_ruleset_t *rs, const char *value, cm_result_t *res)
{
    size_t       len;
    const char  *name;

    name = "comment";
    len = strlen(value);

    return match(rs, 1, &name, &value, &len, res);
}


/* "text" as test.rules, loaded: CM_OK or CM_ERROR and "err" */

static int
load_rules_text(const char *text, cm_ruleset_t **rsp, char *err)
{
    write_file("test.rules", text);

    return load("test.rules", rsp, err);
}


/* a rule set from text written to a file; NULL and a diagnostic if bad */

static cm_ruleset_t *
rules(const char *text)
{
    char           err[CM_ERRLEN];
    cm_ruleset_t  *rs;

    write_file("test.rules", text);

    if (load("test.rules", &rs, err) != CM_OK) {
        printf("# %s\n", err);
        cm_ruleset_free(rs);
        return NULL;
    }

    return rs;
}


static void
cleanup(void)
{
    char  cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }
}
