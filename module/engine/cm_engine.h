
/*
 * Comment moderation engine: body parsing, normalisation, rule loading,
 * matching and scoring.
 *
 * Plain C, no nginx headers: the nginx module, comment-check, the unit
 * tests and the fuzzers all call this one header.  The engine never logs
 * and never allocates behind its caller's back: per-comment memory comes
 * from the cm_alloc_t the caller passes (nginx passes r->pool), and errors
 * are written into a buffer the caller owns.
 */


#ifndef _CM_ENGINE_H_INCLUDED_
#define _CM_ENGINE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define CM_OK          0
#define CM_ERROR      -1
#define CM_DECLINED   -2     /* input malformed; partial result, see err */

#define CM_ERRLEN      512   /* a sensible size for error buffers */


typedef enum {
    CM_PASS = 0,
    CM_HOLD,
    CM_REJECT
} cm_decision_e;


/*
 * Allocator hooks.  "free" may be NULL when the memory is released as a
 * whole by its owner (an nginx pool, the CLI's arena): the engine then
 * never frees, and must not rely on freeing for correctness.
 */

typedef struct {
    void   *(*alloc)(void *data, size_t size);
    void    (*free)(void *data, void *p);
    void     *data;
} cm_alloc_t;

/* malloc(3)/free(3); for long-lived objects such as rule sets */
extern const cm_alloc_t  cm_alloc_malloc;


/* body parsing: cm_parse.c */

typedef struct {
    const unsigned char  *name;      /* "comment", "a.b" for nested JSON */
    size_t                name_len;
    const unsigned char  *value;     /* decoded, not NUL-terminated */
    size_t                value_len;
    unsigned              flags;     /* CM_FIELD_* */
} cm_field_t;

/* the field's text is a name the client gave (cm_body_fields: names) */
#define CM_FIELD_NAME      0x01

typedef struct {
    cm_field_t           *elts;
    size_t                nelts;
    size_t                nalloc;
} cm_fields_t;

typedef enum {
    CM_BODY_RAW = 0,                 /* unknown type: whole body, "body" */
    CM_BODY_FORM,                    /* application/x-www-form-urlencoded */
    CM_BODY_MULTIPART,               /* multipart/form-data */
    CM_BODY_JSON                     /* application/json, +json */
} cm_body_type_e;

cm_body_type_e cm_body_type(const unsigned char *ct, size_t len);

/*
 * Adds a field to "fields" (the array grows through "a").  Name and value
 * are referenced, not copied.  Returns CM_OK or CM_ERROR (no memory).
 */
int cm_fields_add(const cm_alloc_t *a, cm_fields_t *fields,
    const unsigned char *name, size_t name_len,
    const unsigned char *value, size_t value_len);

/*
 * Splits a request body into fields by its Content-Type ("ct" may be NULL).
 * The parsing alone: cm_body_fields() below is what a request needs.
 *
 *   form:       name=value pairs split on '&'; '+' is a space; %XX decoded;
 *               a malformed escape is kept as it is.
 *   multipart:  each part a field; base64 and quoted-printable parts
 *               decoded (raw too, when quoted-printable or when base64 does
 *               not decode); file parts (a non-empty filename) skipped
 *               unless their Content-Type is absent or a text/ type.  The
 *               boundary comes from "ct".
 *   json:       every string value, escapes decoded (\uXXXX, surrogate
 *               pairs; a lone surrogate becomes U+FFFD), named by its key
 *               path joined with '.'; array elements take the name of the
 *               array.  Numbers, booleans and null are not fields.
 *   raw:        the whole body as one field named "body".
 *
 * Returns CM_OK; CM_DECLINED when the body is malformed (the fields parsed
 * so far are kept and "err" says what and where; callers then inspect the
 * raw body too, so nothing slips past); CM_ERROR on allocation failure.
 * Values may point into "body" or into memory from "a".
 */
int cm_parse_body(const cm_alloc_t *a, const unsigned char *ct,
    size_t ct_len, const unsigned char *body, size_t len,
    cm_fields_t *fields, char *err, size_t errlen);


#define CM_TOO_LARGE  -3     /* the decoded body is over the bound */
#define CM_UNSUPPORTED  -4   /* a Content-Encoding that is not decoded */

/* a name the caller gives, such as one of comment_moderation_fields */

typedef struct {
    const unsigned char  *data;
    size_t                len;
} cm_name_t;

/* a request's body as the client described it; unused members are 0 */

typedef struct {
    const unsigned char  *content_type;      /* NULL: none */
    size_t                content_type_len;
    const unsigned char  *content_encoding;  /* NULL: identity */
    size_t                content_encoding_len;
    const unsigned char  *query;             /* the query string, raw */
    size_t                query_len;
    const cm_name_t      *filter;            /* names to inspect, NULL: all */
    size_t                nfilter;
    size_t                max_size;          /* bound on an inflated body */
} cm_body_t;

/*
 * The fields to inspect in a request: what the nginx module, comment-check
 * and the fuzzers all call.  On top of cm_parse_body():
 *
 *   encoding:   "gzip" (or "x-gzip", several members) and "deflate" (zlib
 *               or raw) bodies are inflated, at most "max_size" bytes:
 *               one more byte stops inflation and returns CM_TOO_LARGE;
 *               memory is the output's exact size, found by a first pass
 *               into a fixed buffer, plus zlib's state, all from "a".  Any
 *               other coding, or more than one, is CM_UNSUPPORTED.
 *   names:      a field's name is inspected as text too, as a field of
 *               that name; JSON keys as fields named by their object.
 *   forms:      names "a[b][]" are read as PHP does, as "a.b"; text that
 *               still holds %XX or '+' after decoding is decoded again,
 *               up to 3 rounds, each round's text a field of its own.
 *   multipart:  every name a part gives (name="" repeated, RFC 2231
 *               name*= and name*0=...); base64 and quoted-printable
 *               parts decoded; file parts (a non-empty filename) are
 *               text unless their Content-Type is given and not text/...
 *   query:      its arguments are fields, decoded as a form body's.
 *   filter:     only fields whose name any backend could read as one of
 *               the names: equal, nested below it ("name.x", "name[x]"),
 *               or equal once PHP turns ' ', '.' and '[' into '_'.
 *               Without a filter, every field.
 *
 * Returns CM_OK; CM_DECLINED when something did not parse or decode (a
 * malformed body, a broken part or stream, text still encoded after the
 * last round): "err" says what, and the whole body (inflated, and as sent
 * when inflation failed) is a field "body" too, whatever the filter;
 * CM_TOO_LARGE, CM_UNSUPPORTED (fields undefined); CM_ERROR: no memory.
 */
int cm_body_fields(const cm_alloc_t *a, const cm_body_t *b,
    const unsigned char *body, size_t len, cm_fields_t *fields, char *err,
    size_t errlen);


/* normalisation: cm_norm.c */

/*
 * A view of a field's text that rules match against.  The text is always
 * valid UTF-8 without NUL bytes.  map[i] is the offset in the original
 * value of the byte that produced text[i]; map[len] is the original length.
 */

typedef struct {
    unsigned char        *text;
    size_t                len;
    uint32_t             *map;
} cm_view_t;

/*
 * raw view: the value with invalid UTF-8 sequences and NUL bytes removed
 * (so they cannot split a word), otherwise unchanged.
 */
int cm_view_raw(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_view_t *view);

/*
 * normalised view, the default for rules: the raw view with HTML entities
 * decoded, NFKC, case folding, combining marks and invisible characters
 * removed, look-alike letters mapped to Latin.
 */
int cm_view_norm(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_view_t *view);


/*
 * skeleton of a view, where word lists match: letters only, one byte (or
 * one UTF-8 character) per run.  Leetspeak becomes letters (4 and @ are
 * "a", 0 is "o"; 1 and | stay "1", which stands for "i" or "l"), runs of
 * the same letter are squeezed into one ("gacoorr" is "gacor", "777" is
 * one "t" of three digits), and the separators between runs (spaces,
 * punctuation, emoji, a symbol next to a digit) are dropped; what was
 * dropped is kept beside each byte:
 *
 *   off[i], end[i]  the run's bytes in the view: view->text[off .. end)
 *   gap[i]          how many separators stand before the run (255 at most;
 *                   0: it touches the run before it)
 *   units[i]        characters squeezed into the run (255 at most)
 *   digits[i]       how many of them are digits
 *   flags[i]        CM_SK_* below
 *
 * A piece is a stretch of runs that touch each other.  Pieces of one run
 * each, apart by at most CM_SK_SPELL_GAP separators, are a word spelled
 * out ("s.l.o.t g a c o r"): the gaps inside are marked CM_SK_SPELL.
 */

#define CM_SK_LETTER       0x01      /* the run holds a real letter */
#define CM_SK_DIGIT        0x02      /* ... a digit */
#define CM_SK_SYMBOL       0x04      /* ... a symbol: @ ! | $ + */
#define CM_SK_SPACE        0x08      /* the gap before holds white space */
#define CM_SK_SPELL        0x10      /* the gap is inside a spelled word */
#define CM_SK_GLUED        0x20      /* in a piece of CM_SK_GLUED_LEN runs */
#define CM_SK_CONT         0x40      /* a UTF-8 continuation byte */
#define CM_SK_BANG         0x80      /* ... a "!" */

#define CM_SK_SPELL_GAP    6
#define CM_SK_MERGE_GAP    3         /* runs merged for loose entries */
#define CM_SK_GLUED_LEN    16

typedef struct {
    unsigned char        *text;
    size_t                len;
    uint32_t             *off;
    uint32_t             *end;
    unsigned char        *gap;
    unsigned char        *units;
    unsigned char        *digits;
    unsigned char        *flags;
    size_t                merges;    /* runs that repeat the letter of the
                                        run before, a few separators away */

    /*
     * With CM_SKEL_MERGED: those runs merged too ("7/7/7" is one "t"),
     * for loose entries; mfirst[i] is the run in text[] that merged run
     * i starts with.
     */
    unsigned char        *mtext;
    uint32_t             *mfirst;
    size_t                mlen;

    unsigned              unaspirated;  /* cm_skel_unaspirated() made it */
} cm_skel_t;

#define CM_SKEL_SPLIT      0x01      /* no squeezing: "oo" stays two */
#define CM_SKEL_MERGED     0x02      /* mtext, mfirst too */

int cm_view_skel(const cm_alloc_t *a, const cm_view_t *view, unsigned opts,
    cm_skel_t *sk);

/*
 * Whether a word of the normalised view holds leetspeak: a digit or one
 * of "$@!+|" between letters, or beside one (cheap, before any skeleton).
 */
unsigned cm_view_leet(const cm_view_t *view);

/*
 * The letters view: the normalised text with each leetspeak run of a word
 * replaced by the skeleton's letter for it ("jua| $@bu" is "jual sabu";
 * "1" is "i" there and "|" is "l"), the rest as it is, and a map to the
 * original.  CM_DECLINED when no word holds any (out then holds nothing).
 */
int cm_view_letters(const cm_alloc_t *a, const cm_view_t *norm,
    const cm_skel_t *sk, cm_view_t *out);

/*
 * The skeleton without the h said after a consonant ("tholol" is
 * "tolol", "bajinganh" "bajingan"), each joined to the run before it;
 * no merged text.  A list's entries keep their h, so "gatel" never reads
 * as "gathel"; only long entries are looked for there, as "thai" is no
 * "tai".  CM_DECLINED when there is no such h (out is untouched).
 */
int cm_skel_unaspirated(const cm_alloc_t *a, const cm_skel_t *sk,
    cm_skel_t *out);

/* the canonical byte of an ASCII character, 0 for a separator */
unsigned char cm_skel_ascii(unsigned char c);


/* rules: cm_rules.c (loading), cm_match.c (matching) */

typedef struct cm_ruleset_s  cm_ruleset_t;
typedef struct cm_scratch_s  cm_scratch_t;

/*
 * Loading: create, add one or more files (each may include others), then
 * compile.  Errors are "FILE:LINE: message", or "FILE:LINE:COLUMN: message"
 * for a PCRE2 compile error; the ruleset is still to be freed after an
 * error.
 */
cm_ruleset_t *cm_ruleset_create(const cm_alloc_t *a);
int cm_ruleset_add_file(cm_ruleset_t *rs, const char *path, char *err,
    size_t errlen);
int cm_ruleset_compile(cm_ruleset_t *rs, char *err, size_t errlen);
void cm_ruleset_free(cm_ruleset_t *rs);

/*
 * A reference rule set matches as the engine did before its prefilter and
 * skeleton: every rule is one PCRE2 scan of every field, word lists too
 * (compiled into regexes).  Its cost grows with the rules and, for some
 * texts, with the square of their length: it is for comparing, in
 * comment-check --reference and the differential tests.  Call it on a new
 * rule set, before cm_ruleset_add_file; CM_ERROR otherwise.
 */
int cm_ruleset_set_reference(cm_ruleset_t *rs);

/* what the compiled rule set holds, for comment-check --lint */
typedef struct {
    size_t                regexes;   /* "re" rules */
    size_t                lists;     /* "words" rules */
    size_t                models;    /* "model" rules */
    size_t                always;    /* regexes with no atom: always run */
    size_t                shared;    /* regexes of an earlier rule's:
                                        matched once for both */
    size_t                atoms;     /* strings the regexes need */
    size_t                entries;   /* word-list lines */
    size_t                keys;      /* their keys, variants included */
    size_t                memory;    /* bytes of automata, tables and
                                        models */
    unsigned              reference;
} cm_ruleset_stats_t;

int cm_ruleset_stats(const cm_ruleset_t *rs, cm_ruleset_stats_t *st);

size_t cm_ruleset_nrules(const cm_ruleset_t *rs);

typedef struct {
    unsigned              id;
    int                   score;
    const char           *tag;       /* NUL-terminated, "" when none */
    const char           *msg;       /* NUL-terminated, "" when none */
    const char           *file;      /* where the rule was defined */
    unsigned              line;
    unsigned              always;    /* a regex with no atom: runs on
                                        every field */
} cm_rule_info_t;

int cm_ruleset_rule(const cm_ruleset_t *rs, size_t i, cm_rule_info_t *info);

/*
 * What rule i needs before PCRE2 runs it, as text: the prefilter's
 * formula over literal strings, AND(OR("slot", "judi"), "gacor"); or
 * "always" for a regex with none, "list" for a word list.  Returns the
 * length written (cut to fit "buf").
 */
size_t cm_ruleset_rule_needs(const cm_ruleset_t *rs, size_t i, char *buf,
    size_t len);

/*
 * Per-worker scratch space: PCRE2 match data, match context with the
 * limits, JIT stack, the counters of the prefilter and the word lists,
 * and the models' sets of buckets (grown to fit the largest rule set it
 * meets: 48 KB for a model of 2^18 buckets, and 41 KB of tables that
 * every model shares).  Any rule sets may use one, in turn.  One per
 * thread of matching; not shared.  0 for a limit means the engine's
 * default (100000 / 1000).  The match limit is for a field of 1 KB or less; it
 * grows with the field (CM_MATCH_LIMIT_KB more for each KB), so that a
 * rule that scans a field once is never stopped by padding alone.
 */
cm_scratch_t *cm_scratch_create(const cm_alloc_t *a, uint32_t match_limit,
    uint32_t depth_limit);
void cm_scratch_free(cm_scratch_t *s);


typedef struct {
    unsigned              id;
    int                   score;
    const char           *tag;
    const char           *msg;
    size_t                field;     /* index into the fields matched */
    size_t                start;     /* first match, offsets in the */
    size_t                end;       /* original field value */
    unsigned              count;     /* matches in that field */
} cm_hit_t;

typedef struct {
    int                   score;     /* sum of the hits' scores */
    int                   capped;    /* of it, the max=hold rules' */
    cm_hit_t             *hits;      /* in rule order */
    size_t                nhits;
    unsigned             *limited;   /* ids of rules that hit a match */
    size_t                nlimited;  /* limit: counted as not matched */
} cm_result_t;

/*
 * Matches every rule against every field it applies to.  A rule counts
 * once, whatever the number of fields it matches; its hit reports the
 * first field.  Memory for the result and the views comes from "a".
 */
int cm_match(const cm_ruleset_t *rs, cm_scratch_t *s, const cm_alloc_t *a,
    const cm_field_t *fields, size_t nfields, cm_result_t *res,
    char *err, size_t errlen);

/*
 * The length of the valid UTF-8 sequence at p (1 to 4), or 0 when it is
 * not one (overlong, surrogate, truncated); the code point goes to *cp.
 */
size_t cm_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);

/*
 * Reject at "reject" or more, hold at "hold" or more, else pass; the
 * score of max=hold rules counts to hold, never to reject.
 */
cm_decision_e cm_decide(const cm_result_t *res, int hold, int reject);
const char *cm_decision_name(cm_decision_e d);


/* duplicates: cm_dup.c */

/*
 * What copies of a comment have in common, to count them site-wide in a
 * store such as Redis.  A text is read through its normalised view
 * (cm_view_norm) and kept to its letters and digits: styling, case,
 * spacing, punctuation and emoji do not tell copies apart.
 *
 *   exact    a hash of those letters and digits: equal for copies
 *   bands    locality-sensitive hashes: a MinHash of the text's shingles
 *            (each run of CM_DUP_SHINGLE characters), CM_DUP_BANDS bands
 *            of CM_DUP_ROWS values each, each band hashed.  Two texts
 *            whose shingle sets have Jaccard similarity s share some band
 *            with probability 1 - (1 - s^ROWS)^BANDS: a copy with a word
 *            or a site number changed almost surely, unrelated texts
 *            almost never.  Only the first CM_DUP_MAX_CHARS characters
 *            are shingled, so the cost is bounded.
 *   chars    how many letters and digits the text has
 *   field    for cm_dup_fields(): the index of the field
 *
 * The hashes are the same in every process and on every machine: keys
 * made from them are shared by every nginx that uses one store.
 */

#define CM_DUP_SHINGLE     6
#define CM_DUP_BANDS       12
#define CM_DUP_ROWS        5
#define CM_DUP_MAX_CHARS   4096

typedef struct {
    uint64_t              exact;
    uint64_t              bands[CM_DUP_BANDS];
    size_t                chars;
    size_t                field;
} cm_dup_sig_t;

/*
 * The signature of one text.  Memory from "a" is freed before returning
 * when "a" can free.  CM_OK, or CM_ERROR when out of memory.  A text
 * without letters or digits has chars 0 and no bands.
 */
int cm_dup_sign(const cm_alloc_t *a, const unsigned char *p, size_t len,
    cm_dup_sig_t *sig);

/*
 * The signatures of the fields worth counting: those with at least
 * "min_chars" letters and digits, one for each distinct text, at most
 * "max" of them, the longest first (the comment, rather than the short
 * fields around it; ties in the fields' order).  *nsigs is how many went
 * into "sigs".  CM_OK, or CM_ERROR when out of memory.
 */
int cm_dup_fields(const cm_alloc_t *a, const cm_field_t *fields,
    size_t nfields, size_t min_chars, cm_dup_sig_t *sigs, size_t max,
    size_t *nsigs);


#endif /* _CM_ENGINE_H_INCLUDED_ */
