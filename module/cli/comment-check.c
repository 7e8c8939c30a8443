/*
 * comment-check: the moderators' tool.  Checks rule files, and runs the
 * engine on a comment exactly as the nginx module does, showing which
 * rules matched and why.  All matching is the engine's (cm_match).
 */


#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cm_cli.h"
#include "cm_train.h"


enum {
    CM_OPT_LINT = 256,
    CM_OPT_FIELD,
    CM_OPT_HOLD,
    CM_OPT_REJECT,
    CM_OPT_BATCH,
    CM_OPT_LIST,
    CM_OPT_BENCH,
    CM_OPT_BENCH_FILE,
    CM_OPT_REFERENCE,
    CM_OPT_NEEDS,
    CM_OPT_STATS,
    CM_OPT_EXPLAIN,
    CM_OPT_CORPUS,
    CM_OPT_DIFF,
    CM_OPT_BODY,
    CM_OPT_CONTENT_TYPE,
    CM_OPT_CONTENT_ENCODING,
    CM_OPT_QUERY
};


static int cm_parse_args(int argc, char **argv, cm_opts_t *o);
static int cm_parse_int(const char *s, long min, long max, long *n);
static cm_ruleset_t *cm_load(cm_opts_t *o);
static int cm_lint(cm_opts_t *o, cm_ruleset_t *rs);
static int cm_list(cm_opts_t *o, cm_ruleset_t *rs);
static int cm_check_one(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len);
static int cm_check_batch(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar);
static int cm_bench(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar);
static int cm_compare_ids(const void *a, const void *b);
static unsigned char *cm_join_args(int argc, char **argv, size_t *len);
static void cm_usage(FILE *f);


static const char  *cm_bench_text[] = {
    "Terima kasih atas informasinya, sangat bermanfaat untuk warga di "
    "kampung kami. ",
    "Semoga pemerintah daerah segera memperbaiki jalan menuju pantai yang "
    "rusak parah sejak musim hujan kemarin. ",
    "Kasus ini harus diusut tuntas supaya tidak terulang lagi di masa "
    "depan, kasihan keluarga korban. ",
    "Babinsa dan warga bergotong royong membersihkan saluran air setelah "
    "banjir melanda desa. ",
    "Saya setuju dengan pendapat bapak, bangsa kita butuh pendidikan yang "
    "lebih baik dan merata. ",
    "Harga cabai di pasar naik lagi minggu ini, ibu-ibu mengeluh belanja "
    "jadi mahal sekali. ",
    "Kafé di ujung jalan itu enak, kopinya mantap dan pelayannya ramah "
    "\xf0\x9f\x91\x8d. ",
    "Pertandingan semalam seru sekali, semoga timnas bisa lolos ke babak "
    "berikutnya! ",
    NULL
};


int
main(int argc, char **argv)
{
    int             rc;
    size_t          len;
    cm_opts_t       o;
    cm_arena_t      ar;
    cm_scratch_t   *s;
    cm_ruleset_t   *rs;
    unsigned char  *text;

    if (argc > 1 && strcmp(argv[1], "train") == 0) {
        return cm_train(argc - 1, argv + 1);
    }

    rc = cm_parse_args(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }

    rs = cm_load(&o);
    if (rs == NULL) {
        free(o.rules);
        return CM_EXIT_ERROR;
    }

    s = NULL;
    text = NULL;
    ar.chunks = NULL;

    if (o.lint) {
        rc = cm_lint(&o, rs);
        goto done;
    }

    if (o.list) {
        rc = cm_list(&o, rs);
        goto done;
    }

    s = cm_scratch_create(&cm_alloc_malloc, 0, 0);
    if (s == NULL) {
        fprintf(stderr, "comment-check: out of memory\n");
        rc = CM_EXIT_ERROR;
        goto done;
    }

    if (o.bench) {
        rc = cm_bench(&o, rs, s, &ar);
        goto done;
    }

    if (o.batch) {
        rc = cm_check_batch(&o, rs, s, &ar);
        goto done;
    }

    if (o.corpus) {
        rc = cm_corpus(&o, rs, s, &ar);
        goto done;
    }

    if (o.body) {
        rc = cm_check_body(&o, rs, s, &ar);
        goto done;
    }

    if (optind < argc) {
        text = cm_join_args(argc - optind, argv + optind, &len);

    } else if (cm_read_file(stdin, &text, &len) != 0) {
        fprintf(stderr, "comment-check: reading stdin: %s\n",
                strerror(errno));
        rc = CM_EXIT_ERROR;
        goto done;
    }

    if (text == NULL) {
        fprintf(stderr, "comment-check: out of memory\n");
        rc = CM_EXIT_ERROR;
        goto done;
    }

    rc = o.explain ? cm_explain(&o, rs, s, &ar, text, len)
                   : cm_check_one(&o, rs, s, &ar, text, len);

done:

    cm_arena_reset(&ar);
    free(ar.chunks);
    free(text);
    cm_scratch_free(s);
    cm_ruleset_free(rs);
    free(o.rules);
    free(o.old);
    free(o.fields);

    return rc;
}


/* -1 to go on, else the exit status */

static int
cm_parse_args(int argc, char **argv, cm_opts_t *o)
{
    int                         c;
    long                        n;
    const char                **rules;
    static const struct option  opts[] = {
        { "rules",  required_argument, NULL, 'r' },
        { "lint",   no_argument,       NULL, CM_OPT_LINT },
        { "field",  required_argument, NULL, CM_OPT_FIELD },
        { "hold",   required_argument, NULL, CM_OPT_HOLD },
        { "reject", required_argument, NULL, CM_OPT_REJECT },
        { "batch",  no_argument,       NULL, CM_OPT_BATCH },
        { "list",   no_argument,       NULL, CM_OPT_LIST },
        { "bench",  optional_argument, NULL, CM_OPT_BENCH },
        { "bench-file", required_argument, NULL, CM_OPT_BENCH_FILE },
        { "reference", no_argument, NULL, CM_OPT_REFERENCE },
        { "needs",  no_argument,       NULL, CM_OPT_NEEDS },
        { "stats",  no_argument,       NULL, CM_OPT_STATS },
        { "explain", no_argument,      NULL, CM_OPT_EXPLAIN },
        { "corpus", required_argument, NULL, CM_OPT_CORPUS },
        { "diff",   required_argument, NULL, CM_OPT_DIFF },
        { "body",   required_argument, NULL, CM_OPT_BODY },
        { "content-type", required_argument, NULL, CM_OPT_CONTENT_TYPE },
        { "content-encoding", required_argument, NULL,
          CM_OPT_CONTENT_ENCODING },
        { "query",  required_argument, NULL, CM_OPT_QUERY },
        { "help",   no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(o, 0, sizeof(cm_opts_t));

    o->field = "comment";
    o->hold = CM_HOLD_DEFAULT;
    o->reject = CM_REJECT_DEFAULT;
    o->bench_n = CM_BENCH_N;

    while ((c = getopt_long(argc, argv, "r:h", opts, NULL)) != -1) {

        switch (c) {

        case 'r':
            rules = realloc(o->rules, (o->nrules + 1) * sizeof(char *));
            if (rules == NULL) {
                fprintf(stderr, "comment-check: out of memory\n");
                return CM_EXIT_ERROR;
            }

            rules[o->nrules++] = optarg;
            o->rules = rules;
            break;

        case CM_OPT_LINT:
            o->lint = 1;
            break;

        case CM_OPT_FIELD:
            o->field = optarg;

            rules = realloc(o->fields, (o->nfields + 1) * sizeof(char *));
            if (rules == NULL) {
                fprintf(stderr, "comment-check: out of memory\n");
                goto failed;
            }

            rules[o->nfields++] = optarg;
            o->fields = rules;
            break;

        case CM_OPT_HOLD:
        case CM_OPT_REJECT:
            if (cm_parse_int(optarg, -1000000000, 1000000000, &n) != 0) {
                fprintf(stderr, "comment-check: bad threshold \"%s\"\n",
                        optarg);
                goto failed;
            }

            if (c == CM_OPT_HOLD) {
                o->hold = (int) n;

            } else {
                o->reject = (int) n;
            }

            break;

        case CM_OPT_BATCH:
            o->batch = 1;
            break;

        case CM_OPT_LIST:
            o->list = 1;
            break;

        case CM_OPT_BENCH:
            o->bench = 1;

            /* "--bench 500" as well as "--bench=500" */

            if (optarg == NULL && optind < argc
                && cm_parse_int(argv[optind], 1, 100000000, &n) == 0)
            {
                optarg = argv[optind++];
            }

            if (optarg
                && cm_parse_int(optarg, 1, 100000000, &o->bench_n) != 0)
            {
                fprintf(stderr, "comment-check: bad bench count \"%s\"\n",
                        optarg);
                goto failed;
            }

            break;

        case CM_OPT_REFERENCE:
            o->reference = 1;
            break;

        case CM_OPT_BODY:
            o->body = optarg;
            break;

        case CM_OPT_CONTENT_TYPE:
            o->content_type = optarg;
            break;

        case CM_OPT_CONTENT_ENCODING:
            o->content_encoding = optarg;
            break;

        case CM_OPT_QUERY:
            o->query = optarg;
            break;

        case CM_OPT_EXPLAIN:
            o->explain = 1;
            break;

        case CM_OPT_CORPUS:
            o->corpus = optarg;
            break;

        case CM_OPT_DIFF:
            rules = realloc(o->old, (o->nold + 1) * sizeof(char *));
            if (rules == NULL) {
                fprintf(stderr, "comment-check: out of memory\n");
                goto failed;
            }

            rules[o->nold++] = optarg;
            o->old = rules;
            break;

        case CM_OPT_STATS:
            o->lint = 1;
            o->stats = 1;
            break;

        case CM_OPT_NEEDS:
            o->list = 1;
            o->atoms = 1;
            break;

        case CM_OPT_BENCH_FILE:
            o->bench = 1;
            o->bench_file = optarg;
            break;

        case 'h':
            cm_usage(stdout);
            free(o->rules);
            return CM_EXIT_PASS;

        default:
            cm_usage(stderr);
            goto failed;
        }
    }

    if (o->nrules == 0) {
        fprintf(stderr, "comment-check: no rule file, use -r FILE\n");
        goto failed;
    }

    if (o->nold && o->corpus == NULL) {
        fprintf(stderr, "comment-check: --diff needs --corpus FILE\n");
        goto failed;
    }

    if ((o->content_type || o->content_encoding || o->query) && !o->body) {
        fprintf(stderr, "comment-check: --content-type, --content-encoding "
                "and --query go with --body FILE\n");
        goto failed;
    }

    if ((o->batch || o->bench || o->lint || o->list || o->corpus || o->body)
        && optind < argc)
    {
        fprintf(stderr, "comment-check: unexpected argument \"%s\"\n",
                argv[optind]);
        goto failed;
    }

    return -1;

failed:

    free(o->rules);
    free(o->old);
    free(o->fields);

    return CM_EXIT_ERROR;
}


static int
cm_parse_int(const char *s, long min, long max, long *n)
{
    long   v;
    char  *end;

    if (*s == '\0') {
        return -1;
    }

    errno = 0;
    v = strtol(s, &end, 10);

    if (errno || *end != '\0' || v < min || v > max) {
        return -1;
    }

    *n = v;

    return 0;
}


static cm_ruleset_t *
cm_load(cm_opts_t *o)
{
    return cm_load_rules(o->rules, o->nrules, o->reference);
}


/* rule files into a compiled rule set; NULL after printing the error */

cm_ruleset_t *
cm_load_rules(const char **files, size_t n, unsigned reference)
{
    char           err[CM_ERRLEN];
    size_t         i;
    cm_ruleset_t  *rs;

    rs = cm_ruleset_create(&cm_alloc_malloc);
    if (rs == NULL) {
        fprintf(stderr, "comment-check: out of memory\n");
        return NULL;
    }

    if (reference) {
        (void) cm_ruleset_set_reference(rs);
    }

    for (i = 0; i < n; i++) {
        if (cm_ruleset_add_file(rs, files[i], err, sizeof(err)) != CM_OK) {
            goto failed;
        }
    }

    if (cm_ruleset_compile(rs, err, sizeof(err)) != CM_OK) {
        goto failed;
    }

    return rs;

failed:

    fprintf(stderr, "comment-check: %s\n", err);
    cm_ruleset_free(rs);

    return NULL;
}


static int
cm_lint(cm_opts_t *o, cm_ruleset_t *rs)
{
    cm_ruleset_stats_t  st;

    printf("%zu rules OK\n", cm_ruleset_nrules(rs));

    if (!o->stats) {
        return CM_EXIT_PASS;
    }

    cm_ruleset_stats(rs, &st);

    if (st.reference) {
        printf("reference: every rule one PCRE2 scan of every field\n");
        return CM_EXIT_PASS;
    }

    printf("%zu regexes: %zu atoms, %zu always run\n", st.regexes,
           st.atoms, st.always);

    if (st.shared) {
        printf("%zu of them an earlier rule's regex, matched once with it\n",
               st.shared);
    }

    printf("%zu word lists: %zu entries, %zu keys\n", st.lists, st.entries,
           st.keys);

    if (st.models) {
        printf("%zu model%s\n", st.models, st.models == 1 ? "" : "s");
    }

    printf("%zu KB of automata and tables\n", (st.memory + 1023) / 1024);

    return CM_EXIT_PASS;
}


static int
cm_list(cm_opts_t *o, cm_ruleset_t *rs)
{
    char            needs[1024];
    size_t          i, n;
    cm_rule_info_t  info;

    n = cm_ruleset_nrules(rs);

    for (i = 0; i < n; i++) {
        cm_ruleset_rule(rs, i, &info);

        printf("%u  %+d  %s  %s:%u  \"%s\"\n", info.id, info.score,
               info.tag[0] ? info.tag : "-", info.file, info.line, info.msg);

        if (o->atoms) {
            cm_ruleset_rule_needs(rs, i, needs, sizeof(needs));
            printf("    needs: %s\n", needs);
        }
    }

    return CM_EXIT_PASS;
}


static int
cm_check_one(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar, const unsigned char *text, size_t len)
{
    cm_field_t     field;
    cm_result_t    res;

    if (cm_run(o, rs, s, ar, text, len, &res) != CM_OK) {
        return CM_EXIT_ERROR;
    }

    field.name = (const unsigned char *) o->field;
    field.name_len = strlen(o->field);
    field.value = text;
    field.value_len = len;
    field.flags = 0;

    return cm_print_result(rs, &res, cm_decide(&res, o->hold, o->reject),
                           &field, 0);
}


/* one comment a line: DECISION<TAB>SCORE<TAB>IDS */

static int
cm_check_batch(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s,
    cm_arena_t *ar)
{
    int           rc;
    char         *line;
    size_t        size, i;
    ssize_t       n;
    unsigned     *ids;
    cm_result_t   res;

    line = NULL;
    size = 0;
    rc = CM_EXIT_PASS;

    while ((n = getline(&line, &size, stdin)) != -1) {

        if (n && line[n - 1] == '\n') {
            n--;
        }

        if (n && line[n - 1] == '\r') {
            n--;
        }

        if (cm_run(o, rs, s, ar, (unsigned char *) line, n, &res) != CM_OK) {
            rc = CM_EXIT_ERROR;
            break;
        }

        printf("%s\t%d\t",
               cm_decision_name(cm_decide(&res, o->hold, o->reject)),
               res.score);

        if (res.nhits == 0) {
            printf("-\n");
            continue;
        }

        ids = cm_arena_alloc(ar, res.nhits * sizeof(unsigned));
        if (ids == NULL) {
            fprintf(stderr, "comment-check: out of memory\n");
            rc = CM_EXIT_ERROR;
            break;
        }

        for (i = 0; i < res.nhits; i++) {
            ids[i] = res.hits[i].id;
        }

        qsort(ids, res.nhits, sizeof(unsigned), cm_compare_ids);

        for (i = 0; i < res.nhits; i++) {
            printf("%s%u", i ? "," : "", ids[i]);
        }

        printf("\n");
    }

    free(line);

    if (rc == CM_EXIT_PASS && ferror(stdin)) {
        fprintf(stderr, "comment-check: reading stdin: %s\n",
                strerror(errno));
        rc = CM_EXIT_ERROR;
    }

    return rc;
}


/*
 * Normalisation and matching of one comment, as in production: a 1 KB
 * ham comment, or the contents of --bench-file.
 */

static int
cm_bench(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s, cm_arena_t *ar)
{
    int              rc;
    long             i;
    FILE            *f;
    size_t           len, k;
    double           us;
    cm_result_t      res;
    unsigned char   *text;
    struct timespec  t0, t1;

    if (o->bench_file) {
        f = fopen(o->bench_file, "r");
        if (f == NULL) {
            fprintf(stderr, "comment-check: cannot open \"%s\": %s\n",
                    o->bench_file, strerror(errno));
            return CM_EXIT_ERROR;
        }

        rc = cm_read_file(f, &text, &len);
        fclose(f);

        if (rc != 0) {
            fprintf(stderr, "comment-check: reading \"%s\": %s\n",
                    o->bench_file, strerror(errno));
            return CM_EXIT_ERROR;
        }

    } else {
        text = malloc(CM_BENCH_LEN);
        if (text == NULL) {
            fprintf(stderr, "comment-check: out of memory\n");
            return CM_EXIT_ERROR;
        }

        len = 0;

        for (i = 0; ; i++) {
            if (cm_bench_text[i] == NULL) {
                i = 0;
            }

            k = strlen(cm_bench_text[i]);

            if (len + k > CM_BENCH_LEN) {
                break;
            }

            memcpy(text + len, cm_bench_text[i], k);
            len += k;
        }

        memset(text + len, ' ', CM_BENCH_LEN - len);
        len = CM_BENCH_LEN;
    }

    rc = CM_EXIT_PASS;

    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (i = 0; i < o->bench_n; i++) {
        if (cm_run(o, rs, s, ar, text, len, &res) != CM_OK) {
            rc = CM_EXIT_ERROR;
            break;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);

    free(text);

    if (rc != CM_EXIT_PASS) {
        return rc;
    }

    us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec))
         / 1e3 / o->bench_n;

    printf("bench: %.1f us per comment (%zu-byte comment, %zu rules)\n",
           us, len, cm_ruleset_nrules(rs));

    return CM_EXIT_PASS;
}


/* one comment as one field, through the engine, in fresh arena memory */

int
cm_run(cm_opts_t *o, cm_ruleset_t *rs, cm_scratch_t *s, cm_arena_t *ar,
    const unsigned char *text, size_t len, cm_result_t *res)
{
    char        err[CM_ERRLEN];
    cm_alloc_t  a;
    cm_field_t  field;

    cm_arena_reset(ar);

    a.alloc = cm_arena_alloc;
    a.free = NULL;
    a.data = ar;

    field.name = (const unsigned char *) o->field;
    field.name_len = strlen(o->field);
    field.value = text;
    field.value_len = len;
    field.flags = 0;

    if (cm_match(rs, s, &a, &field, 1, res, err, sizeof(err)) != CM_OK) {
        fprintf(stderr, "comment-check: %s\n", err);
        return CM_ERROR;
    }

    return CM_OK;
}


static int
cm_compare_ids(const void *a, const void *b)
{
    unsigned  x, y;

    x = *(const unsigned *) a;
    y = *(const unsigned *) b;

    return (x > y) - (x < y);
}


/* matched text for a terminal: escaped, valid UTF-8 kept, long cut */

void
cm_print_text(const unsigned char *p, size_t len)
{
    size_t    i, k, max;
    uint32_t  cp;

    max = len > CM_SHOW_MAX ? CM_SHOW_MAX : len;

    for (i = 0; i < max; i += k) {
        k = cm_utf8_decode(p + i, len - i, &cp);

        if (k > 1) {
            fwrite(p + i, 1, k, stdout);
            continue;
        }

        k = 1;

        switch (p[i]) {

        case '"':
            fputs("\\\"", stdout);
            break;

        case '\\':
            fputs("\\\\", stdout);
            break;

        case '\n':
            fputs("\\n", stdout);
            break;

        case '\t':
            fputs("\\t", stdout);
            break;

        case '\r':
            fputs("\\r", stdout);
            break;

        default:
            if (p[i] < 0x20 || p[i] >= 0x7f) {
                printf("\\x%02x", p[i]);

            } else {
                putchar(p[i]);
            }
        }
    }

    if (max < len) {
        fputs("...", stdout);
    }
}


int
cm_read_file(FILE *f, unsigned char **text, size_t *len)
{
    size_t          size, n, k;
    unsigned char  *b, *nb;

    size = 65536;
    n = 0;

    b = malloc(size);
    if (b == NULL) {
        return -1;
    }

    for ( ;; ) {
        if (n == size) {
            nb = realloc(b, size * 2);
            if (nb == NULL) {
                free(b);
                return -1;
            }

            b = nb;
            size *= 2;
        }

        k = fread(b + n, 1, size - n, f);
        n += k;

        if (k == 0) {
            if (ferror(f)) {
                free(b);
                return -1;
            }

            break;
        }
    }

    *text = b;
    *len = n;

    return 0;
}


/* the TEXT arguments, joined by spaces as the shell split them */

static unsigned char *
cm_join_args(int argc, char **argv, size_t *len)
{
    int             i;
    size_t          n, k;
    unsigned char  *text;

    n = 0;

    for (i = 0; i < argc; i++) {
        n += strlen(argv[i]) + 1;
    }

    text = malloc(n);
    if (text == NULL) {
        return NULL;
    }

    n = 0;

    for (i = 0; i < argc; i++) {
        if (i) {
            text[n++] = ' ';
        }

        k = strlen(argv[i]);
        memcpy(text + n, argv[i], k);
        n += k;
    }

    *len = n;

    return text;
}


void *
cm_arena_alloc(void *data, size_t size)
{
    size_t       off, n;
    cm_arena_t  *ar = data;
    cm_chunk_t  *c;

    c = ar->chunks;

    if (c) {
        off = (c->used + 15) & ~(size_t) 15;

        if (off <= c->size && size <= c->size - off) {
            c->used = off + size;
            return c->data + off;
        }
    }

    n = size > CM_CHUNK_SIZE ? size : CM_CHUNK_SIZE;

    /*
     * The header is rounded up to 16 bytes, so data is aligned too.
     * Zeroed: PCRE2's JIT reads whole vectors past the end of a subject,
     * harmless, but valgrind would report the uninitialised bytes.
     */

    c = calloc(1, CM_CHUNK_HDR + n);
    if (c == NULL) {
        return NULL;
    }

    c->data = (unsigned char *) c + CM_CHUNK_HDR;
    c->size = n;
    c->used = size;
    c->next = ar->chunks;
    ar->chunks = c;

    return c->data;
}


/* frees all but one chunk, which is kept for the next comment */

void
cm_arena_reset(cm_arena_t *ar)
{
    cm_chunk_t  *c, *next;

    if (ar->chunks == NULL) {
        return;
    }

    for (c = ar->chunks->next; c; c = next) {
        next = c->next;
        free(c);
    }

    ar->chunks->next = NULL;
    ar->chunks->used = 0;
}


static void
cm_usage(FILE *f)
{
    fprintf(f,
"usage: comment-check -r FILE [-r FILE...] --lint|--stats\n"
"       comment-check -r FILE... [--field NAME] [--hold N] [--reject N] "
"[TEXT]\n"
"       comment-check -r FILE... [--hold N] [--reject N] --batch\n"
"       comment-check -r FILE... --list|--needs\n"
"       comment-check -r FILE... --explain [TEXT]\n"
"       comment-check -r FILE... --corpus FILE [--diff OLD_RULES]\n"
"       comment-check -r FILE... --body FILE [--content-type TYPE]\n"
"                     [--content-encoding CODING] [--query STRING]\n"
"       comment-check -r FILE... --bench [N] [--bench-file FILE]\n"
"       (any of them with --reference)\n"
"       comment-check train --out FILE [--target-fp RATE] CORPUS.tsv ...\n"
"                         (comment-check train --help)\n"
"\n"
"Runs the comment moderation engine on a comment, the way the nginx\n"
"module does.\n"
"\n"
"  -r, --rules FILE  rule file to load (repeatable; includes are followed)\n"
"  --lint            load the rules, print \"N rules OK\" or the error\n"
"  --stats           --lint, and what the rules compiled into: atoms,\n"
"                    regexes that always run, list keys, memory\n"
"  --field NAME      field name of the comment (default \"comment\")\n"
"  --hold N          hold at this score (default %d)\n"
"  --reject N        reject at this score (default %d)\n"
"  --batch           one comment a line on stdin; prints for each\n"
"                    DECISION<TAB>SCORE<TAB>IDS (ids ascending, - if none)\n"
"  --list            print every rule: id score tag file:line msg\n"
"  --needs           --list, and under each rule what the prefilter\n"
"                    needs before PCRE2 runs it (\"always\": no atom)\n"
"  --bench [N]       time N runs (default %d) on a 1 KB comment\n"
"  --bench-file FILE time the runs on the contents of FILE instead\n"
"  --explain         for one comment: its views (original, normalised,\n"
"                    skeleton) and each rule that matched, with what;\n"
"                    each model's probability and the features that\n"
"                    weigh most in it\n"
"  --corpus FILE     LABEL<TAB>TEXT lines (ham, spam, abuse): decisions\n"
"                    by label, and for each rule the lines it matched\n"
"                    by label, so a rule's false positives show\n"
"  --diff OLD        with --corpus: the lines whose decision differs\n"
"                    between OLD (repeatable) and the -r rules\n"
"  --body FILE       decide a whole request body as the module does:\n"
"                    split into fields by --content-type (form, JSON,\n"
"                    multipart; anything else is one field \"body\"),\n"
"                    inflated by --content-encoding (gzip, deflate),\n"
"                    with the arguments of --query; each field is shown\n"
"                    with its matches; --field restricts the fields\n"
"                    as comment_moderation_fields does (repeatable)\n"
"  --reference       match the old way: every rule one PCRE2 scan of\n"
"                    every field, word lists as regexes (for comparing)\n"
"  -h, --help        this text\n"
"\n"
"TEXT is the comment; without it the comment is all of stdin.  The\n"
"decision, score and every matching rule are printed, with the matched\n"
"text and its byte offset in the comment.\n"
"\n"
"Exit status: 0 pass, 1 error, 2 hold, 3 reject.  --lint, --list,\n"
"--batch and --bench exit 0 unless there is an error.\n",
            CM_HOLD_DEFAULT, CM_REJECT_DEFAULT, CM_BENCH_N);
}
