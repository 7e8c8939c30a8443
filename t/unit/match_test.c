
/*
 * The matching engine's own parts: what the prefilter reads from a
 * pattern (cm_ruleset_rule_needs), that every regex gives the same hit
 * with the prefilter as in a reference rule set, anchored regexes with
 * counts and empty matches, reversed (right-to-left override) fields,
 * the word lists' typos, drawn letters and glued text, rules of the same
 * regex, matched once, and negative rules against tags, which share what
 * those tags scored.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cm_engine.h"
#include "tap.h"


static cm_ruleset_t *load(const char *text, unsigned reference);
static int run(cm_ruleset_t *rs, const char *value, size_t len,
    cm_result_t *res);
static void test_needs(void);
static void test_same_as_reference(void);
static void test_anchored(void);
static void test_reversed(void);
static void test_words(void);
static void test_twins(void);
static void test_against(void);
static unsigned hits(cm_ruleset_t *rs, const char *text);


static char           dir[64];
static cm_scratch_t  *scratch;


int
main(void)
{
    char  cmd[128];

    strcpy(dir, "/tmp/cm_match_test.XXXXXX");

    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }

    scratch = cm_scratch_create(&cm_alloc_malloc, 0, 0);
    ok(scratch != NULL, "scratch created");

    test_needs();
    test_same_as_reference();
    test_anchored();
    test_reversed();
    test_words();
    test_twins();
    test_against();

    cm_scratch_free(scratch);

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        printf("# could not remove %s\n", dir);
    }

    return tap_done();
}


/* a rule set from rule-file text; NULL (and a diagnostic) if it fails */

static cm_ruleset_t *
load(const char *text, unsigned reference)
{
    char           path[128], err[CM_ERRLEN];
    FILE          *f;
    cm_ruleset_t  *rs;

    snprintf(path, sizeof(path), "%s/test.rules", dir);

    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return NULL;
    }

    fputs(text, f);
    fclose(f);

    rs = cm_ruleset_create(&cm_alloc_malloc);

    if (rs == NULL
        || (reference && cm_ruleset_set_reference(rs) != CM_OK)
        || cm_ruleset_add_file(rs, path, err, sizeof(err)) != CM_OK
        || cm_ruleset_compile(rs, err, sizeof(err)) != CM_OK)
    {
        printf("# %s\n", err);
        cm_ruleset_free(rs);
        return NULL;
    }

    return rs;
}


static int
run(cm_ruleset_t *rs, const char *value, size_t len, cm_result_t *res)
{
    int         rc;
    char        err[CM_ERRLEN];
    cm_field_t  f;

    f.name = (const unsigned char *) "comment";
    f.name_len = 7;
    f.value = (const unsigned char *) value;
    f.value_len = len;
    f.flags = 0;

    rc = cm_match(rs, scratch, &cm_alloc_malloc, &f, 1, res, err,
                  sizeof(err));

    if (rc != CM_OK) {
        printf("# cm_match: %s\n", err);
    }

    return rc;
}


static unsigned
hits(cm_ruleset_t *rs, const char *text)
{
    unsigned     n;
    cm_result_t  res;

    if (run(rs, text, strlen(text), &res) != CM_OK) {
        return 99;
    }

    n = (unsigned) res.nhits;

    free(res.hits);
    free(res.limited);

    return n;
}


/* what the prefilter needs before PCRE2 runs each kind of pattern */

static void
test_needs(void)
{
    char           buf[512];
    size_t         i;
    cm_ruleset_t  *rs;

    static const struct {
        const char  *rule;
        const char  *needs;
    } cases[] = {
        { "re 1 1 /slot gacor/", "OR(\"slot gacor\")" },
        { "re 1 1 /\\bslot\\s+(?:gacor|online)\\b/",
          "OR(\"slot gacor\", \"slot online\")" },
        { "re 1 1 /(?:judi|slot)[ .-]?online/",
          "OR(\"judi online\", \"judi-online\", \"judi.online\", "
          "\"judionline\", \"slot online\", \"slot-online\", "
          "\"slot.online\", \"slotonline\")" },
        { "re 1 1 /^(?=.*judi)(?=.*polisi)/s",
          "AND(\"judi\", \"polisi\")" },
        { "re 1 1 /gacor.*maxwin/", "AND(\"gacor\", \"maxwin\")" },
        { "re 1 1 /[a-z]+/", "always" },
        { "re 1 1 /a?b?c?/", "always" },
        { "re 1 1 /(?i)SLOT/", "OR(\"slot\")" },
        { "re 1 1 /x{2}yz/", "OR(\"xxyz\")" },
        { "re 1 1 /wa\\W{0,3}08\\d{8}/", "OR(\"08\")" },
        { "re 1 1 /(slot)\\1/", "OR(\"slot\")" },
        { "re 1 1 /(a)?(?(1)bcd|efg)/", "always" },
        { "re 1 1 /abc(*ACCEPT)def/", "always" },
        { "re 1 1 /[\\x{1D400}-\\x{1D4FF}]/ view=raw",
          "OR(\"\xf0\x9d\x90\", \"\xf0\x9d\x91\", \"\xf0\x9d\x92\", "
          "\"\xf0\x9d\x93\")" },
        { "words 1 1 list.txt", "list" }
    };

    {
        char   path[128];
        FILE  *f;

        snprintf(path, sizeof(path), "%s/list.txt", dir);
        f = fopen(path, "w");
        if (f) {
            fputs("slot gacor\n", f);
            fclose(f);
        }
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(buf, sizeof(buf), "%s\n", cases[i].rule);

        rs = load(buf, 0);
        if (rs == NULL) {
            ok(0, cases[i].rule);
            continue;
        }

        cm_ruleset_rule_needs(rs, 0, buf, sizeof(buf));
        is_str(buf, strlen(buf), cases[i].needs, cases[i].rule);

        cm_ruleset_free(rs);
    }
}


/* the prefilter never skips a regex that matches: same hits both ways */

static void
test_same_as_reference(void)
{
    char           name[160];
    size_t         i, j, k;
    cm_result_t    a, b;
    cm_ruleset_t  *rs, *ref;

    static const char  rules[] =
        "re 1 1 /\\bslot\\s+gacor\\b/\n"
        "re 2 1 /(?:judi|slot)[ .-]?online/ count=2\n"
        "re 3 1 /^(?=.*judi)(?=.*\\bpolisi\\b)/s\n"
        "re 4 1 /(?<![a-z])(?:dasar|si)\\s+(?:goblok|tolol)(?![a-z])/\n"
        "re 5 1 /\\d{4}/ count=3\n"
        "re 6 1 /[\\x{1D400}-\\x{1D7FF}]/ view=raw count=2\n"
        "re 7 1 /(?i)SITUS\\s+\\w+/ view=raw\n"
        "re 8 1 /x*/ count=3\n"
        "re 9 1 /(?:a|ab)(?:c|bcd)(?:d*)/\n"
        "re 10 1 /08\\d{8,11}/\n";

    static const char  *texts[] = {
        "main slot gacor sekarang",
        "slot  gacor",
        "judi online dan slot-online, judionline",
        "judi online",
        "Polisi menangkap bandar judi",
        "judi dan polisi: polisi menangkap",
        "polisi saja",
        "dasar goblok, si tolol",
        "dasargoblok",
        "tahun 2024 dan 2025 lalu 1999",
        "12345678",
        "\xf0\x9d\x90\x92\xf0\x9d\x90\x8b\xf0\x9d\x90\x8e",
        "\xf0\x9d\x90\x92",
        "situs resmi POLRI, SITUS judi",
        "xxxyx",
        "abcd abcde",
        "wa 081234567890 ya",
        "",
        "a",
        NULL
    };

    rs = load(rules, 0);
    ref = load(rules, 1);

    ok(rs != NULL && ref != NULL, "both rule sets load");

    if (rs == NULL || ref == NULL) {
        cm_ruleset_free(rs);
        cm_ruleset_free(ref);
        return;
    }

    for (i = 0; texts[i]; i++) {
        if (run(rs, texts[i], strlen(texts[i]), &a) != CM_OK
            || run(ref, texts[i], strlen(texts[i]), &b) != CM_OK)
        {
            ok(0, texts[i]);
            continue;
        }

        k = (a.nhits == b.nhits);

        for (j = 0; k && j < a.nhits; j++) {
            k = a.hits[j].id == b.hits[j].id
                && a.hits[j].start == b.hits[j].start
                && a.hits[j].end == b.hits[j].end
                && a.hits[j].count == b.hits[j].count;
        }

        snprintf(name, sizeof(name), "as the reference: \"%s\" (%zu hits)",
                 texts[i], b.nhits);
        ok(k, name);

        free(a.hits);
        free(a.limited);
        free(b.hits);
        free(b.limited);
    }

    cm_ruleset_free(rs);
    cm_ruleset_free(ref);
}


/* an anchored regex: every place its anchor is, counted without overlap */

static void
test_anchored(void)
{
    char          *text;
    size_t         i, n;
    cm_result_t    res;
    cm_ruleset_t  *rs;

    rs = load("re 1 1 /gacor(?:\\s+\\w+)?/ count=3\n", 0);
    ok(rs != NULL, "anchored rule loads");

    if (rs == NULL) {
        return;
    }

    is_int(hits(rs, "gacor gacor"), 0, "two of three");
    is_int(hits(rs, "gacor x gacor y gacor"), 1, "three");

    /* more places than are tried one by one: one scan from the first */

    n = 200 * 6;
    text = malloc(n + 1);

    for (i = 0; text && i < 200; i++) {
        memcpy(text + i * 6, "gacor ", 6);
    }

    if (text && run(rs, text, n, &res) == CM_OK) {
        ok(res.nhits == 1 && res.hits[0].count == 3 && res.hits[0].start == 0,
           "200 places: found from the first");
        free(res.hits);
        free(res.limited);

    } else {
        ok(0, "200 places");
    }

    free(text);
    cm_ruleset_free(rs);
}


/* a right-to-left override shows a field reversed: it is read reversed */

static void
test_reversed(void)
{
    cm_result_t    res;
    cm_ruleset_t  *rs;

    static const char  text[] = "ok \xe2\x80\xae" "rocag tols";

    rs = load("re 1 1 /slot gacor/\n", 0);
    ok(rs != NULL, "rule loads");

    if (rs == NULL) {
        return;
    }

    if (run(rs, text, sizeof(text) - 1, &res) == CM_OK) {
        ok(res.nhits == 1 && res.hits[0].field == 0
           && res.hits[0].start >= 3 && res.hits[0].start <= 6
           && res.hits[0].end == 16,
           "an overridden field matches reversed, offsets in the original");
        free(res.hits);
        free(res.limited);

    } else {
        ok(0, "reversed field");
    }

    is_int(hits(rs, "rocag tols"), 0, "no override: not reversed");

    cm_ruleset_free(rs);
}


/* the word lists' disguises beyond the old regexes (see cm_words.c) */

static void
test_words(void)
{
    char           path[128], name[160];
    FILE          *f;
    size_t         i;
    cm_ruleset_t  *rs;

    static const char  *hit[] = {
        "dftr slt gcr",                       /* vowels dropped */
        "main sltgcr",
        "daftar solt gacor",                  /* letters swapped */
        "daftar slot gacro",
        "dasar bajingna",
        "s....l....o....t g....a....c....o....r",  /* 4 dots between */
        "/\\/\\axwin",                        /* drawn letters */
        "|\\/|axwi|\\|",
        "daftarsekarangdisitusslotgacorpastimaxwin",   /* glued */
        "d a f t a r s l o t g a c o r",      /* spelled, one run */
        "sl-ot ga-cor",                       /* partial separators */
        "max-win",
        "WETON+88",                           /* a symbol by a digit */
        "B 0 S S W D",                        /* doubled, spelled */
        "main slot gacxor",                   /* a junk letter */
        "arwanatoto",
        NULL
    };

    static const char  *miss[] = {
        "jngn sht tgl",                       /* chat abbreviations */
        "sange",                              /* short words keep exact */
        "slotgacorx",                         /* glued only when long */
        "0n",                                 /* "oon" needs two o */
        "slott",                              /* "slot777" needs 777 */
        "weton 8",
        "bosswd",                             /* the entry's digit */
        "maxwinning",                         /* still a whole word */
        "kontrol",                            /* no junk in short keys */
        "bnagsat",                            /* nor swaps */
        "makan tapi",                         /* nor in a short word */
        NULL
    };

    snprintf(path, sizeof(path), "%s/typo.txt", dir);

    f = fopen(path, "w");
    if (f == NULL) {
        perror(path);
        return;
    }

    fputs("slot gacor\nmaxwin\nbangsat\noon\nslot777\nweton88\nb0sswd\n"
          "sagne\narwantoto\nkontol\nmakan tai\nbajingan\n", f);
    fclose(f);

    rs = load("words 1 1 typo.txt\n", 0);
    ok(rs != NULL, "list loads");

    if (rs == NULL) {
        return;
    }

    for (i = 0; hit[i]; i++) {
        snprintf(name, sizeof(name), "caught: \"%s\"", hit[i]);
        ok(hits(rs, hit[i]) == 1, name);
    }

    for (i = 0; miss[i]; i++) {
        snprintf(name, sizeof(name), "not caught: \"%s\"", miss[i]);
        ok(hits(rs, miss[i]) == 0, name);
    }

    cm_ruleset_free(rs);
}


/*
 * Rules of the same regex (pattern, flags, view and count) share one
 * match of a view, whatever their scores and fields; a rule that differs
 * in any of these matches on its own.  The hits are those of each rule
 * in a rule set of its own.
 */

static void
test_twins(void)
{
    size_t               i, k, n;
    cm_hit_t             want[8];
    cm_result_t          res, one;
    cm_ruleset_t        *rs, *alone[8];
    cm_ruleset_stats_t   st;
    static const char   *rules[] = {
        "re 1 5 /(?:slot|togel)\\s+\\w+/\n",
        "re 2 -3 /(?:slot|togel)\\s+\\w+/\n",
        "re 3 2 /(?:slot|togel)\\s+\\w+/i\n",
        "re 4 1 /(?:slot|togel)\\s+\\w+/ count=2\n",
        "re 5 1 /(?:slot|togel)\\s+\\w+/ view=raw\n",
        "re 6 4 /(?:slot|togel)\\s+\\w+/ field=title\n",
        "re 7 1 /gacor/ field=title\n",
        "re 8 1 /gacor/\n",
    };
    static const char   *texts[] = {
        "main slot gacor",
        "slot gacor togel jitu",
        "SLOT GACOR",
        "tidak ada apa-apa",
    };
    static const size_t  nhits[] = { 5, 6, 4, 0 };
    char                 all[1024];

    all[0] = '\0';

    for (k = 0; k < 8; k++) {
        strcat(all, rules[k]);
        alone[k] = load(rules[k], 0);
    }

    rs = load(all, 0);
    ok(rs != NULL, "rules of the same regex load");

    if (rs == NULL) {
        goto done;
    }

    cm_ruleset_stats(rs, &st);
    is_int(st.shared, 3, "3 rules share an earlier rule's regex (2, 6, 8)");

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {

        /* what each rule gives alone */

        for (k = 0, n = 0; k < 8; k++) {
            if (alone[k] == NULL
                || run(alone[k], texts[i], strlen(texts[i]), &one) != CM_OK)
            {
                break;
            }

            if (one.nhits == 1 && n < 8) {
                want[n++] = one.hits[0];
            }

            free(one.hits);
            free(one.limited);
        }

        if (k < 8 || run(rs, texts[i], strlen(texts[i]), &res) != CM_OK) {
            ok(0, "twins: %s", texts[i]);
            continue;
        }

        is_int(res.nhits, nhits[i], "twins: %zu hits in \"%s\"", nhits[i],
               texts[i]);

        for (k = 0; k < res.nhits && k < n; k++) {
            if (res.hits[k].id != want[k].id
                || res.hits[k].start != want[k].start
                || res.hits[k].end != want[k].end
                || res.hits[k].count != want[k].count)
            {
                break;
            }
        }

        ok(res.nhits == n && k == n,
           "twins: each rule's own hit in \"%s\"", texts[i]);

        free(res.hits);
        free(res.limited);
    }

    cm_ruleset_free(rs);

done:

    for (k = 0; k < 8; k++) {
        cm_ruleset_free(alone[k]);
    }
}


/*
 * Negative rules against tags cancel together at most what the hits with
 * those tags scored, each taking what the ones before it left, never
 * other tags' scores; what a max=hold hit loses no longer counts towards
 * holding (res.capped).
 */

static void
test_against(void)
{
    int            got;
    size_t         i, k;
    cm_result_t    res;
    cm_ruleset_t  *rs;
    static const struct {
        const char  *text;
        int          score;
        int          capped;
        unsigned     id;
        int          hit;       /* the score of rule id's hit */
    } cases[] = {
        { "slot berita", 1, 0, 3, -5 },
        { "slot berita polisi", 0, 0, 4, -1 },
        { "slot kasar berita polisi", 4, 0, 4, -1 },
        { "slot gacor", 11, 5, 5, 5 },
        { "slot gacor polisi", 3, 0, 6, -5 },
        { "slot kasar gacor polisi", 7, 0, 4, -3 },
        { "kasar berita", 4, 0, 3, 0 },
    };

    rs = load("re 1 6 /slot/ tag=gambling\n"
              "re 2 4 /kasar/ tag=profanity\n"
              "re 3 -5 /berita/ against=gambling\n"
              "re 4 -3 /polisi/ against=gambling\n"
              "re 5 5 /gacor/ tag=model max=hold\n"
              "re 6 -5 /polisi/ against=model\n", 0);
    ok(rs != NULL, "rules against tags load");

    if (rs == NULL) {
        return;
    }

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (run(rs, cases[i].text, strlen(cases[i].text), &res) != CM_OK
            || res.nhits == 0)
        {
            ok(0, "against: %s", cases[i].text);
            continue;
        }

        for (k = 0, got = 99; k < res.nhits; k++) {
            if (res.hits[k].id == cases[i].id) {
                got = res.hits[k].score;
            }
        }

        ok(res.score == cases[i].score && res.capped == cases[i].capped
           && got == cases[i].hit,
           "against: \"%s\" scores %d, %d of it hold only, rule %u %d",
           cases[i].text, cases[i].score, cases[i].capped, cases[i].id,
           cases[i].hit);

        if (res.score != cases[i].score || res.capped != cases[i].capped) {
            printf("#   got %d, %d of it hold only\n", res.score,
                   res.capped);
        }

        free(res.hits);
        free(res.limited);
    }

    cm_ruleset_free(rs);
}
