/*
 * Tables for cm_norm.c, const data only.
 *
 * cm_confusables[]: characters that NFKC and case folding leave alone but
 * that read as Latin letters or digits, looked up before and after NFKC
 * and after case folding.  The look-alikes come from Unicode's TR39
 * confusables (the copy in Debian's python3-confusable-homoglyphs),
 * limited to letters of scripts hardly ever written in Indonesia (Arabic
 * and Indic scripts are left out); added by hand: Greek and Cyrillic
 * letters that spam uses for Latin ones (Я r, Λ a, η n, μ u), small
 * capitals, letters with strokes or hooks, Canadian syllabics of "fancy
 * text" generators, parenthesized, negative circled and squared letters,
 * regional indicators, dingbat digits.  Decorations put around letters
 * (【s】, ░s, ≋s) map to "" and are dropped; blanks (Hangul fillers,
 * braille blank) map to " ".  Outputs are lower case ASCII, at most
 * 3 bytes.  Sorted by code point for binary search; the unit test checks
 * the order.
 *
 * cm_entities[]: the HTML 4 named character references and &apos;,
 * sorted by name (strcmp order).
 */


#ifndef _CM_CONFUSABLES_H_INCLUDED_
#define _CM_CONFUSABLES_H_INCLUDED_


typedef struct {
    uint32_t              from;
    char                  to[4];
} cm_confusable_t;

typedef struct {
    char                  name[10];
    uint32_t              cp;
} cm_entity_t;


static const cm_confusable_t  cm_confusables[] = {
    { 0x000d7, "x"   },   /* multiplication sign */
    { 0x000e6, "ae"  },   /* latin small letter ae */
    { 0x000f0, "d"   },   /* latin small letter eth */
    { 0x000f8, "o"   },   /* latin small letter o with stroke */
    { 0x00111, "d"   },   /* latin small letter d with stroke */
    { 0x00127, "h"   },   /* latin small letter h with stroke */
    { 0x00131, "i"   },   /* latin small letter dotless i */
    { 0x00138, "k"   },   /* latin small letter kra */
    { 0x00142, "l"   },   /* latin small letter l with stroke */
    { 0x00153, "oe"  },   /* latin small ligature oe */
    { 0x00167, "t"   },   /* latin small letter t with stroke */
    { 0x00180, "b"   },   /* latin small letter b with stroke */
    { 0x00188, "c"   },   /* latin small letter c with hook */
    { 0x00192, "f"   },   /* latin small letter f with hook */
    { 0x00196, "i"   },   /* latin capital letter iota */
    { 0x00199, "k"   },   /* latin small letter k with hook */
    { 0x0019a, "l"   },   /* latin small letter l with bar */
    { 0x0019e, "n"   },   /* latin small letter n with long right leg */
    { 0x001a5, "p"   },   /* latin small letter p with hook */
    { 0x001a6, "r"   },   /* latin letter yr */
    { 0x001ab, "t"   },   /* latin small letter t with palatal hook */
    { 0x001ad, "t"   },   /* latin small letter t with hook */
    { 0x001b6, "z"   },   /* latin small letter z with stroke */
    { 0x001e5, "g"   },   /* latin small letter g with stroke */
    { 0x00221, "d"   },   /* latin small letter d with curl */
    { 0x00234, "l"   },   /* latin small letter l with curl */
    { 0x00235, "n"   },   /* latin small letter n with curl */
    { 0x00236, "t"   },   /* latin small letter t with curl */
    { 0x00237, "j"   },   /* latin small letter dotless j */
    { 0x0023c, "c"   },   /* latin small letter c with stroke */
    { 0x00247, "e"   },   /* latin small letter e with stroke */
    { 0x00249, "j"   },   /* latin small letter j with stroke */
    { 0x0024d, "r"   },   /* latin small letter r with stroke */
    { 0x0024f, "y"   },   /* latin small letter y with stroke */
    { 0x00251, "a"   },   /* latin small letter alpha */
    { 0x00253, "b"   },   /* latin small letter b with hook */
    { 0x00255, "c"   },   /* latin small letter c with curl */
    { 0x00256, "d"   },   /* latin small letter d with tail */
    { 0x00257, "d"   },   /* latin small letter d with hook */
    { 0x0025b, "e"   },   /* latin small letter open e */
    { 0x0025f, "j"   },   /* latin small letter dotless j with stroke */
    { 0x00260, "g"   },   /* latin small letter g with hook */
    { 0x00261, "g"   },   /* latin small letter script g */
    { 0x00262, "g"   },   /* latin letter small capital g */
    { 0x00263, "y"   },   /* latin small letter gamma */
    { 0x00266, "h"   },   /* latin small letter h with hook */
    { 0x00268, "i"   },   /* latin small letter i with stroke */
    { 0x00269, "i"   },   /* latin small letter iota */
    { 0x0026a, "i"   },   /* latin letter small capital i */
    { 0x0026b, "l"   },   /* latin small letter l with middle tilde */
    { 0x0026c, "l"   },   /* latin small letter l with belt */
    { 0x0026d, "l"   },   /* latin small letter l with retroflex hook */
    { 0x0026f, "w"   },   /* latin small letter turned m */
    { 0x00271, "m"   },   /* latin small letter m with hook */
    { 0x00272, "n"   },   /* latin small letter n with left hook */
    { 0x00273, "n"   },   /* latin small letter n with retroflex hook */
    { 0x00274, "n"   },   /* latin letter small capital n */
    { 0x00275, "o"   },   /* latin small letter barred o */
    { 0x00276, "oe"  },   /* latin letter small capital oe */
    { 0x0027c, "r"   },   /* latin small letter r with long leg */
    { 0x0027d, "r"   },   /* latin small letter r with tail */
    { 0x0027e, "r"   },   /* latin small letter r with fishhook */
    { 0x00280, "r"   },   /* latin letter small capital r */
    { 0x00281, "r"   },   /* latin letter small capital inverted r */
    { 0x00282, "s"   },   /* latin small letter s with hook */
    { 0x00288, "t"   },   /* latin small letter t with retroflex hook */
    { 0x00289, "u"   },   /* latin small letter u bar */
    { 0x0028b, "u"   },   /* latin small letter v with hook */
    { 0x0028f, "y"   },   /* latin letter small capital y */
    { 0x00290, "z"   },   /* latin small letter z with retroflex hook */
    { 0x00291, "z"   },   /* latin small letter z with curl */
    { 0x00299, "b"   },   /* latin letter small capital b */
    { 0x0029c, "h"   },   /* latin letter small capital h */
    { 0x0029d, "j"   },   /* latin small letter j with crossed-tail */
    { 0x0029f, "l"   },   /* latin letter small capital l */
    { 0x002a0, "q"   },   /* latin small letter q with hook */
    { 0x0037a, "i"   },   /* greek ypogegrammeni */
    { 0x0037f, "j"   },   /* greek capital letter yot */
    { 0x00391, "a"   },   /* greek capital letter alpha */
    { 0x00392, "b"   },   /* greek capital letter beta */
    { 0x00395, "e"   },   /* greek capital letter epsilon */
    { 0x00396, "z"   },   /* greek capital letter zeta */
    { 0x00397, "h"   },   /* greek capital letter eta */
    { 0x00399, "i"   },   /* greek capital letter iota */
    { 0x0039a, "k"   },   /* greek capital letter kappa */
    { 0x0039b, "a"   },   /* greek capital letter lamda */
    { 0x0039c, "m"   },   /* greek capital letter mu */
    { 0x0039d, "n"   },   /* greek capital letter nu */
    { 0x0039f, "o"   },   /* greek capital letter omicron */
    { 0x003a0, "n"   },   /* greek capital letter pi */
    { 0x003a1, "p"   },   /* greek capital letter rho */
    { 0x003a3, "e"   },   /* greek capital letter sigma */
    { 0x003a4, "t"   },   /* greek capital letter tau */
    { 0x003a5, "y"   },   /* greek capital letter upsilon */
    { 0x003a7, "x"   },   /* greek capital letter chi */
    { 0x003b1, "a"   },   /* greek small letter alpha */
    { 0x003b2, "b"   },   /* greek small letter beta */
    { 0x003b3, "y"   },   /* greek small letter gamma */
    { 0x003b5, "e"   },   /* greek small letter epsilon */
    { 0x003b7, "n"   },   /* greek small letter eta */
    { 0x003b9, "i"   },   /* greek small letter iota */
    { 0x003ba, "k"   },   /* greek small letter kappa */
    { 0x003bc, "u"   },   /* greek small letter mu */
    { 0x003bd, "v"   },   /* greek small letter nu */
    { 0x003bf, "o"   },   /* greek small letter omicron */
    { 0x003c0, "n"   },   /* greek small letter pi */
    { 0x003c1, "p"   },   /* greek small letter rho */
    { 0x003c3, "o"   },   /* greek small letter sigma */
    { 0x003c4, "t"   },   /* greek small letter tau */
    { 0x003c5, "u"   },   /* greek small letter upsilon */
    { 0x003c7, "x"   },   /* greek small letter chi */
    { 0x003c9, "w"   },   /* greek small letter omega */
    { 0x003d2, "y"   },   /* greek upsilon with hook symbol */
    { 0x003dc, "f"   },   /* greek letter digamma */
    { 0x003dd, "f"   },   /* greek small letter digamma */
    { 0x003f1, "p"   },   /* greek rho symbol */
    { 0x003f2, "c"   },   /* greek lunate sigma symbol */
    { 0x003f3, "j"   },   /* greek letter yot */
    { 0x003f9, "c"   },   /* greek capital lunate sigma symbol */
    { 0x003fa, "m"   },   /* greek capital letter san */
    { 0x00404, "e"   },   /* cyrillic capital letter ukrainian ie */
    { 0x00405, "s"   },   /* cyrillic capital letter dze */
    { 0x00406, "i"   },   /* cyrillic capital letter byelorussian-ukrainian i */
    { 0x00408, "j"   },   /* cyrillic capital letter je */
    { 0x00410, "a"   },   /* cyrillic capital letter a */
    { 0x00411, "b"   },   /* cyrillic capital letter be */
    { 0x00412, "b"   },   /* cyrillic capital letter ve */
    { 0x00414, "a"   },   /* cyrillic capital letter de */
    { 0x00415, "e"   },   /* cyrillic capital letter ie */
    { 0x00418, "n"   },   /* cyrillic capital letter i */
    { 0x0041a, "k"   },   /* cyrillic capital letter ka */
    { 0x0041c, "m"   },   /* cyrillic capital letter em */
    { 0x0041d, "h"   },   /* cyrillic capital letter en */
    { 0x0041e, "o"   },   /* cyrillic capital letter o */
    { 0x0041f, "n"   },   /* cyrillic capital letter pe */
    { 0x00420, "p"   },   /* cyrillic capital letter er */
    { 0x00421, "c"   },   /* cyrillic capital letter es */
    { 0x00422, "t"   },   /* cyrillic capital letter te */
    { 0x00423, "y"   },   /* cyrillic capital letter u */
    { 0x00425, "x"   },   /* cyrillic capital letter ha */
    { 0x00426, "u"   },   /* cyrillic capital letter tse */
    { 0x00428, "w"   },   /* cyrillic capital letter sha */
    { 0x00429, "w"   },   /* cyrillic capital letter shcha */
    { 0x0042a, "b"   },   /* cyrillic capital letter hard sign */
    { 0x0042c, "b"   },   /* cyrillic capital letter soft sign */
    { 0x0042f, "r"   },   /* cyrillic capital letter ya */
    { 0x00430, "a"   },   /* cyrillic small letter a */
    { 0x00431, "b"   },   /* cyrillic small letter be */
    { 0x00432, "b"   },   /* cyrillic small letter ve */
    { 0x00433, "r"   },   /* cyrillic small letter ghe */
    { 0x00435, "e"   },   /* cyrillic small letter ie */
    { 0x00438, "u"   },   /* cyrillic small letter i */
    { 0x0043a, "k"   },   /* cyrillic small letter ka */
    { 0x0043c, "m"   },   /* cyrillic small letter em */
    { 0x0043d, "h"   },   /* cyrillic small letter en */
    { 0x0043e, "o"   },   /* cyrillic small letter o */
    { 0x0043f, "n"   },   /* cyrillic small letter pe */
    { 0x00440, "p"   },   /* cyrillic small letter er */
    { 0x00441, "c"   },   /* cyrillic small letter es */
    { 0x00442, "t"   },   /* cyrillic small letter te */
    { 0x00443, "y"   },   /* cyrillic small letter u */
    { 0x00445, "x"   },   /* cyrillic small letter ha */
    { 0x00446, "u"   },   /* cyrillic small letter tse */
    { 0x00448, "w"   },   /* cyrillic small letter sha */
    { 0x00449, "w"   },   /* cyrillic small letter shcha */
    { 0x0044a, "b"   },   /* cyrillic small letter hard sign */
    { 0x0044c, "b"   },   /* cyrillic small letter soft sign */
    { 0x0044f, "r"   },   /* cyrillic small letter ya */
    { 0x00454, "e"   },   /* cyrillic small letter ukrainian ie */
    { 0x00455, "s"   },   /* cyrillic small letter dze */
    { 0x00456, "i"   },   /* cyrillic small letter byelorussian-ukrainian i */
    { 0x00458, "j"   },   /* cyrillic small letter je */
    { 0x00461, "w"   },   /* cyrillic small letter omega */
    { 0x00473, "o"   },   /* cyrillic small letter fita */
    { 0x00474, "v"   },   /* cyrillic capital letter izhitsa */
    { 0x00475, "v"   },   /* cyrillic small letter izhitsa */
    { 0x00493, "f"   },   /* cyrillic small letter ghe with stroke */
    { 0x0049b, "k"   },   /* cyrillic small letter ka with descender */
    { 0x004ae, "y"   },   /* cyrillic capital letter straight u */
    { 0x004af, "y"   },   /* cyrillic small letter straight u */
    { 0x004b1, "y"   },   /* cyrillic small letter straight u with stroke */
    { 0x004b3, "x"   },   /* cyrillic small letter ha with descender */
    { 0x004bb, "h"   },   /* cyrillic small letter shha */
    { 0x004bd, "e"   },   /* cyrillic small letter abkhasian che */
    { 0x004c0, "l"   },   /* cyrillic letter palochka */
    { 0x004cf, "l"   },   /* cyrillic small letter palochka */
    { 0x004e8, "o"   },   /* cyrillic capital letter barred o */
    { 0x004e9, "o"   },   /* cyrillic small letter barred o */
    { 0x004fd, "x"   },   /* cyrillic small letter ha with hook */
    { 0x00501, "d"   },   /* cyrillic small letter komi de */
    { 0x0050c, "g"   },   /* cyrillic capital letter komi sje */
    { 0x00511, "e"   },   /* cyrillic small letter reversed ze */
    { 0x0051b, "q"   },   /* cyrillic small letter qa */
    { 0x0051c, "w"   },   /* cyrillic capital letter we */
    { 0x0051d, "w"   },   /* cyrillic small letter we */
    { 0x0054d, "u"   },   /* armenian capital letter seh */
    { 0x0054f, "s"   },   /* armenian capital letter tiwn */
    { 0x00555, "o"   },   /* armenian capital letter oh */
    { 0x00561, "w"   },   /* armenian small letter ayb */
    { 0x00563, "q"   },   /* armenian small letter gim */
    { 0x00566, "q"   },   /* armenian small letter za */
    { 0x00570, "h"   },   /* armenian small letter ho */
    { 0x00578, "n"   },   /* armenian small letter vo */
    { 0x0057c, "n"   },   /* armenian small letter ra */
    { 0x0057d, "u"   },   /* armenian small letter seh */
    { 0x00581, "g"   },   /* armenian small letter co */
    { 0x00584, "f"   },   /* armenian small letter keh */
    { 0x00585, "o"   },   /* armenian small letter oh */
    { 0x0115f, " "   },   /* hangul choseong filler */
    { 0x01160, " "   },   /* hangul jungseong filler */
    { 0x013a0, "d"   },   /* cherokee letter a */
    { 0x013a1, "r"   },   /* cherokee letter e */
    { 0x013a2, "t"   },   /* cherokee letter i */
    { 0x013a5, "i"   },   /* cherokee letter v */
    { 0x013a9, "y"   },   /* cherokee letter gi */
    { 0x013aa, "a"   },   /* cherokee letter go */
    { 0x013ab, "j"   },   /* cherokee letter gu */
    { 0x013ac, "e"   },   /* cherokee letter gv */
    { 0x013b3, "w"   },   /* cherokee letter la */
    { 0x013b7, "m"   },   /* cherokee letter lu */
    { 0x013bb, "h"   },   /* cherokee letter mi */
    { 0x013bd, "y"   },   /* cherokee letter mu */
    { 0x013c0, "g"   },   /* cherokee letter nah */
    { 0x013c2, "h"   },   /* cherokee letter ni */
    { 0x013c3, "z"   },   /* cherokee letter no */
    { 0x013cf, "b"   },   /* cherokee letter si */
    { 0x013d2, "r"   },   /* cherokee letter sv */
    { 0x013d4, "w"   },   /* cherokee letter ta */
    { 0x013d5, "s"   },   /* cherokee letter de */
    { 0x013d9, "v"   },   /* cherokee letter do */
    { 0x013da, "s"   },   /* cherokee letter du */
    { 0x013de, "l"   },   /* cherokee letter tle */
    { 0x013df, "c"   },   /* cherokee letter tli */
    { 0x013e2, "p"   },   /* cherokee letter tlv */
    { 0x013e6, "k"   },   /* cherokee letter tso */
    { 0x013e7, "d"   },   /* cherokee letter tsu */
    { 0x013f3, "g"   },   /* cherokee letter yu */
    { 0x013f4, "b"   },   /* cherokee letter yv */
    { 0x0142f, "v"   },   /* canadian syllabics pe */
    { 0x0144c, "u"   },   /* canadian syllabics te */
    { 0x0144e, "n"   },   /* canadian syllabics ti */
    { 0x01455, "c"   },   /* canadian syllabics ta */
    { 0x0146b, "q"   },   /* canadian syllabics ke */
    { 0x0146d, "p"   },   /* canadian syllabics ki */
    { 0x0146f, "d"   },   /* canadian syllabics ko */
    { 0x01472, "b"   },   /* canadian syllabics ka */
    { 0x0148d, "j"   },   /* canadian syllabics co */
    { 0x014aa, "l"   },   /* canadian syllabics ma */
    { 0x01515, "s"   },   /* canadian syllabics sha */
    { 0x01541, "x"   },   /* canadian syllabics sayisi yi */
    { 0x0157c, "h"   },   /* canadian syllabics nunavut h */
    { 0x0157d, "x"   },   /* canadian syllabics hk */
    { 0x01587, "r"   },   /* canadian syllabics tlhi */
    { 0x015af, "b"   },   /* canadian syllabics aivilik b */
    { 0x015b4, "f"   },   /* canadian syllabics blackfoot we */
    { 0x015c5, "a"   },   /* canadian syllabics carrier gho */
    { 0x015de, "d"   },   /* canadian syllabics carrier the */
    { 0x015e9, "a"   },   /* canadian syllabics carrier po */
    { 0x015ea, "d"   },   /* canadian syllabics carrier pe */
    { 0x015ef, "w"   },   /* canadian syllabics carrier gu */
    { 0x015f0, "m"   },   /* canadian syllabics carrier go */
    { 0x015f7, "b"   },   /* canadian syllabics carrier khe */
    { 0x01614, "z"   },   /* canadian syllabics carrier ju */
    { 0x0166d, "x"   },   /* canadian syllabics chi sign */
    { 0x01d00, "a"   },   /* latin letter small capital a */
    { 0x01d01, "ae"  },   /* latin letter small capital ae */
    { 0x01d04, "c"   },   /* latin letter small capital c */
    { 0x01d05, "d"   },   /* latin letter small capital d */
    { 0x01d06, "d"   },   /* latin letter small capital eth */
    { 0x01d07, "e"   },   /* latin letter small capital e */
    { 0x01d0a, "j"   },   /* latin letter small capital j */
    { 0x01d0b, "k"   },   /* latin letter small capital k */
    { 0x01d0c, "l"   },   /* latin letter small capital l with stroke */
    { 0x01d0d, "m"   },   /* latin letter small capital m */
    { 0x01d0f, "o"   },   /* latin letter small capital o */
    { 0x01d11, "o"   },   /* latin small letter sideways o */
    { 0x01d18, "p"   },   /* latin letter small capital p */
    { 0x01d1b, "t"   },   /* latin letter small capital t */
    { 0x01d1c, "u"   },   /* latin letter small capital u */
    { 0x01d20, "v"   },   /* latin letter small capital v */
    { 0x01d21, "w"   },   /* latin letter small capital w */
    { 0x01d22, "z"   },   /* latin letter small capital z */
    { 0x01d26, "r"   },   /* greek letter small capital gamma */
    { 0x01d83, "g"   },   /* latin small letter g with palatal hook */
    { 0x01d8c, "y"   },   /* latin small letter v with palatal hook */
    { 0x01e9d, "f"   },   /* latin small letter long s with high stroke */
    { 0x01eff, "y"   },   /* latin small letter y with loop */
    { 0x01fbe, "i"   },   /* greek prosgegrammeni */
    { 0x0212e, "e"   },   /* estimated symbol */
    { 0x02228, "v"   },   /* logical or */
    { 0x0222a, "u"   },   /* union */
    { 0x0224b, ""    },   /* triple tilde */
    { 0x0237a, "a"   },   /* apl functional symbol alpha */
    { 0x0249c, "a"   },   /* parenthesized latin small letter a */
    { 0x0249d, "b"   },   /* parenthesized latin small letter b */
    { 0x0249e, "c"   },   /* parenthesized latin small letter c */
    { 0x0249f, "d"   },   /* parenthesized latin small letter d */
    { 0x024a0, "e"   },   /* parenthesized latin small letter e */
    { 0x024a1, "f"   },   /* parenthesized latin small letter f */
    { 0x024a2, "g"   },   /* parenthesized latin small letter g */
    { 0x024a3, "h"   },   /* parenthesized latin small letter h */
    { 0x024a4, "i"   },   /* parenthesized latin small letter i */
    { 0x024a5, "j"   },   /* parenthesized latin small letter j */
    { 0x024a6, "k"   },   /* parenthesized latin small letter k */
    { 0x024a7, "l"   },   /* parenthesized latin small letter l */
    { 0x024a8, "m"   },   /* parenthesized latin small letter m */
    { 0x024a9, "n"   },   /* parenthesized latin small letter n */
    { 0x024aa, "o"   },   /* parenthesized latin small letter o */
    { 0x024ab, "p"   },   /* parenthesized latin small letter p */
    { 0x024ac, "q"   },   /* parenthesized latin small letter q */
    { 0x024ad, "r"   },   /* parenthesized latin small letter r */
    { 0x024ae, "s"   },   /* parenthesized latin small letter s */
    { 0x024af, "t"   },   /* parenthesized latin small letter t */
    { 0x024b0, "u"   },   /* parenthesized latin small letter u */
    { 0x024b1, "v"   },   /* parenthesized latin small letter v */
    { 0x024b2, "w"   },   /* parenthesized latin small letter w */
    { 0x024b3, "x"   },   /* parenthesized latin small letter x */
    { 0x024b4, "y"   },   /* parenthesized latin small letter y */
    { 0x024b5, "z"   },   /* parenthesized latin small letter z */
    { 0x024eb, "11"  },   /* negative circled number eleven */
    { 0x024ec, "12"  },   /* negative circled number twelve */
    { 0x024ed, "13"  },   /* negative circled number thirteen */
    { 0x024ee, "14"  },   /* negative circled number fourteen */
    { 0x024ef, "15"  },   /* negative circled number fifteen */
    { 0x024f0, "16"  },   /* negative circled number sixteen */
    { 0x024f1, "17"  },   /* negative circled number seventeen */
    { 0x024f2, "18"  },   /* negative circled number eighteen */
    { 0x024f3, "19"  },   /* negative circled number nineteen */
    { 0x024f4, "20"  },   /* negative circled number twenty */
    { 0x024f5, "1"   },   /* double circled digit one */
    { 0x024f6, "2"   },   /* double circled digit two */
    { 0x024f7, "3"   },   /* double circled digit three */
    { 0x024f8, "4"   },   /* double circled digit four */
    { 0x024f9, "5"   },   /* double circled digit five */
    { 0x024fa, "6"   },   /* double circled digit six */
    { 0x024fb, "7"   },   /* double circled digit seven */
    { 0x024fc, "8"   },   /* double circled digit eight */
    { 0x024fd, "9"   },   /* double circled digit nine */
    { 0x024fe, "10"  },   /* double circled number ten */
    { 0x024ff, "0"   },   /* negative circled digit zero */
    { 0x02573, "x"   },   /* box drawings light diagonal cross */
    { 0x02591, ""    },   /* light shade */
    { 0x02592, ""    },   /* medium shade */
    { 0x02593, ""    },   /* dark shade */
    { 0x02776, "1"   },   /* dingbat negative circled digit one */
    { 0x02777, "2"   },   /* dingbat negative circled digit two */
    { 0x02778, "3"   },   /* dingbat negative circled digit three */
    { 0x02779, "4"   },   /* dingbat negative circled digit four */
    { 0x0277a, "5"   },   /* dingbat negative circled digit five */
    { 0x0277b, "6"   },   /* dingbat negative circled digit six */
    { 0x0277c, "7"   },   /* dingbat negative circled digit seven */
    { 0x0277d, "8"   },   /* dingbat negative circled digit eight */
    { 0x0277e, "9"   },   /* dingbat negative circled digit nine */
    { 0x0277f, "10"  },   /* dingbat negative circled number ten */
    { 0x02780, "1"   },   /* dingbat circled sans-serif digit one */
    { 0x02781, "2"   },   /* dingbat circled sans-serif digit two */
    { 0x02782, "3"   },   /* dingbat circled sans-serif digit three */
    { 0x02783, "4"   },   /* dingbat circled sans-serif digit four */
    { 0x02784, "5"   },   /* dingbat circled sans-serif digit five */
    { 0x02785, "6"   },   /* dingbat circled sans-serif digit six */
    { 0x02786, "7"   },   /* dingbat circled sans-serif digit seven */
    { 0x02787, "8"   },   /* dingbat circled sans-serif digit eight */
    { 0x02788, "9"   },   /* dingbat circled sans-serif digit nine */
    { 0x02789, "10"  },   /* dingbat circled sans-serif number ten */
    { 0x0278a, "1"   },   /* dingbat negative circled sans-serif digit one */
    { 0x0278b, "2"   },   /* dingbat negative circled sans-serif digit two */
    { 0x0278c, "3"   },   /* dingbat negative circled sans-serif digit three */
    { 0x0278d, "4"   },   /* dingbat negative circled sans-serif digit four */
    { 0x0278e, "5"   },   /* dingbat negative circled sans-serif digit five */
    { 0x0278f, "6"   },   /* dingbat negative circled sans-serif digit six */
    { 0x02790, "7"   },   /* dingbat negative circled sans-serif digit seven */
    { 0x02791, "8"   },   /* dingbat negative circled sans-serif digit eight */
    { 0x02792, "9"   },   /* dingbat negative circled sans-serif digit nine */
    { 0x02793, "10"  },   /* dingbat negative circled sans-serif number ten */
    { 0x02800, " "   },   /* braille pattern blank */
    { 0x02a2f, "x"   },   /* vector or cross product */
    { 0x02c85, "r"   },   /* coptic small letter gamma */
    { 0x02c8e, "h"   },   /* coptic capital letter hate */
    { 0x02c92, "i"   },   /* coptic capital letter iauda */
    { 0x02c94, "k"   },   /* coptic capital letter kapa */
    { 0x02c98, "m"   },   /* coptic capital letter mi */
    { 0x02c9a, "n"   },   /* coptic capital letter ni */
    { 0x02c9e, "o"   },   /* coptic capital letter o */
    { 0x02c9f, "o"   },   /* coptic small letter o */
    { 0x02ca2, "p"   },   /* coptic capital letter ro */
    { 0x02ca3, "p"   },   /* coptic small letter ro */
    { 0x02ca4, "c"   },   /* coptic capital letter sima */
    { 0x02ca5, "c"   },   /* coptic small letter sima */
    { 0x02ca6, "t"   },   /* coptic capital letter tau */
    { 0x02ca8, "y"   },   /* coptic capital letter ua */
    { 0x02cac, "x"   },   /* coptic capital letter khi */
    { 0x02cd0, "l"   },   /* coptic capital letter l-shaped ha */
    { 0x0300e, ""    },   /* left white corner bracket */
    { 0x0300f, ""    },   /* right white corner bracket */
    { 0x03010, ""    },   /* left black lenticular bracket */
    { 0x03011, ""    },   /* right black lenticular bracket */
    { 0x03016, ""    },   /* left white lenticular bracket */
    { 0x03017, ""    },   /* right white lenticular bracket */
    { 0x0301a, ""    },   /* left white square bracket */
    { 0x0301b, ""    },   /* right white square bracket */
    { 0x03164, " "   },   /* hangul filler */
    { 0x0a4d0, "b"   },   /* lisu letter ba */
    { 0x0a4d1, "p"   },   /* lisu letter pa */
    { 0x0a4d2, "d"   },   /* lisu letter pha */
    { 0x0a4d3, "d"   },   /* lisu letter da */
    { 0x0a4d4, "t"   },   /* lisu letter ta */
    { 0x0a4d6, "g"   },   /* lisu letter ga */
    { 0x0a4d7, "k"   },   /* lisu letter ka */
    { 0x0a4d9, "j"   },   /* lisu letter ja */
    { 0x0a4da, "c"   },   /* lisu letter ca */
    { 0x0a4dc, "z"   },   /* lisu letter dza */
    { 0x0a4dd, "f"   },   /* lisu letter tsa */
    { 0x0a4df, "m"   },   /* lisu letter ma */
    { 0x0a4e0, "n"   },   /* lisu letter na */
    { 0x0a4e1, "l"   },   /* lisu letter la */
    { 0x0a4e2, "s"   },   /* lisu letter sa */
    { 0x0a4e3, "r"   },   /* lisu letter zha */
    { 0x0a4e6, "v"   },   /* lisu letter ha */
    { 0x0a4e7, "h"   },   /* lisu letter xa */
    { 0x0a4ea, "w"   },   /* lisu letter wa */
    { 0x0a4eb, "x"   },   /* lisu letter sha */
    { 0x0a4ec, "y"   },   /* lisu letter ya */
    { 0x0a4ee, "a"   },   /* lisu letter a */
    { 0x0a4f0, "e"   },   /* lisu letter e */
    { 0x0a4f2, "i"   },   /* lisu letter i */
    { 0x0a4f3, "o"   },   /* lisu letter o */
    { 0x0a4f4, "u"   },   /* lisu letter u */
    { 0x0a647, "i"   },   /* cyrillic small letter iota */
    { 0x0a730, "f"   },   /* latin letter small capital f */
    { 0x0a731, "s"   },   /* latin letter small capital s */
    { 0x0a741, "k"   },   /* latin small letter k with stroke */
    { 0x0a799, "f"   },   /* latin small letter f with stroke */
    { 0x0a79f, "u"   },   /* latin small letter volapuk ue */
    { 0x0a7af, "q"   },   /* latin letter small capital q */
    { 0x0a7b2, "j"   },   /* latin capital letter j with crossed-tail */
    { 0x0a7b3, "x"   },   /* latin capital letter chi */
    { 0x0a7b4, "b"   },   /* latin capital letter beta */
    { 0x0ab32, "e"   },   /* latin small letter blackletter e */
    { 0x0ab35, "f"   },   /* latin small letter lenis f */
    { 0x0ab3d, "o"   },   /* latin small letter blackletter o */
    { 0x0ab47, "r"   },   /* latin small letter r without handle */
    { 0x0ab48, "r"   },   /* latin small letter double r */
    { 0x0ab4e, "u"   },   /* latin small letter u with short right leg */
    { 0x0ab52, "u"   },   /* latin small letter u with left hook */
    { 0x0ab5a, "y"   },   /* latin small letter y with short right leg */
    { 0x0ab75, "i"   },   /* cherokee small letter v */
    { 0x0ab81, "r"   },   /* cherokee small letter hu */
    { 0x0ab83, "w"   },   /* cherokee small letter la */
    { 0x0ab93, "z"   },   /* cherokee small letter no */
    { 0x0aba9, "v"   },   /* cherokee small letter do */
    { 0x0abaa, "s"   },   /* cherokee small letter du */
    { 0x0abaf, "c"   },   /* cherokee small letter tli */
    { 0x0ffa0, " "   },   /* halfwidth hangul filler */
    { 0x10282, "b"   },   /* lycian letter b */
    { 0x10286, "e"   },   /* lycian letter i */
    { 0x10287, "f"   },   /* lycian letter w */
    { 0x1028a, "l"   },   /* lycian letter j */
    { 0x10290, "x"   },   /* lycian letter mm */
    { 0x10292, "o"   },   /* lycian letter u */
    { 0x10295, "p"   },   /* lycian letter r */
    { 0x10296, "s"   },   /* lycian letter s */
    { 0x10297, "t"   },   /* lycian letter t */
    { 0x102a0, "a"   },   /* carian letter a */
    { 0x102a1, "b"   },   /* carian letter p2 */
    { 0x102a2, "c"   },   /* carian letter d */
    { 0x102a5, "f"   },   /* carian letter r */
    { 0x102ab, "o"   },   /* carian letter o */
    { 0x102b0, "m"   },   /* carian letter s */
    { 0x102b1, "t"   },   /* carian letter c-18 */
    { 0x102b2, "y"   },   /* carian letter u */
    { 0x102b4, "x"   },   /* carian letter x */
    { 0x102cf, "h"   },   /* carian letter e2 */
    { 0x10301, "b"   },   /* old italic letter be */
    { 0x10302, "c"   },   /* old italic letter ke */
    { 0x10309, "l"   },   /* old italic letter i */
    { 0x10311, "m"   },   /* old italic letter she */
    { 0x10315, "t"   },   /* old italic letter te */
    { 0x10317, "x"   },   /* old italic letter eks */
    { 0x10404, "o"   },   /* deseret capital letter long o */
    { 0x10415, "c"   },   /* deseret capital letter chee */
    { 0x1041b, "l"   },   /* deseret capital letter eth */
    { 0x10420, "s"   },   /* deseret capital letter zhee */
    { 0x1042c, "o"   },   /* deseret small letter long o */
    { 0x1043d, "c"   },   /* deseret small letter chee */
    { 0x10448, "s"   },   /* deseret small letter zhee */
    { 0x104b4, "r"   },   /* osage capital letter bra */
    { 0x104c2, "o"   },   /* osage capital letter o */
    { 0x104ce, "u"   },   /* osage capital letter u */
    { 0x104ea, "o"   },   /* osage small letter o */
    { 0x104f6, "u"   },   /* osage small letter u */
    { 0x1f10b, "0"   },   /* dingbat circled sans-serif digit zero */
    { 0x1f10c, "0"   },   /* dingbat negative circled sans-serif digit zero */
    { 0x1f110, "a"   },   /* parenthesized latin capital letter a */
    { 0x1f111, "b"   },   /* parenthesized latin capital letter b */
    { 0x1f112, "c"   },   /* parenthesized latin capital letter c */
    { 0x1f113, "d"   },   /* parenthesized latin capital letter d */
    { 0x1f114, "e"   },   /* parenthesized latin capital letter e */
    { 0x1f115, "f"   },   /* parenthesized latin capital letter f */
    { 0x1f116, "g"   },   /* parenthesized latin capital letter g */
    { 0x1f117, "h"   },   /* parenthesized latin capital letter h */
    { 0x1f118, "i"   },   /* parenthesized latin capital letter i */
    { 0x1f119, "j"   },   /* parenthesized latin capital letter j */
    { 0x1f11a, "k"   },   /* parenthesized latin capital letter k */
    { 0x1f11b, "l"   },   /* parenthesized latin capital letter l */
    { 0x1f11c, "m"   },   /* parenthesized latin capital letter m */
    { 0x1f11d, "n"   },   /* parenthesized latin capital letter n */
    { 0x1f11e, "o"   },   /* parenthesized latin capital letter o */
    { 0x1f11f, "p"   },   /* parenthesized latin capital letter p */
    { 0x1f120, "q"   },   /* parenthesized latin capital letter q */
    { 0x1f121, "r"   },   /* parenthesized latin capital letter r */
    { 0x1f122, "s"   },   /* parenthesized latin capital letter s */
    { 0x1f123, "t"   },   /* parenthesized latin capital letter t */
    { 0x1f124, "u"   },   /* parenthesized latin capital letter u */
    { 0x1f125, "v"   },   /* parenthesized latin capital letter v */
    { 0x1f126, "w"   },   /* parenthesized latin capital letter w */
    { 0x1f127, "x"   },   /* parenthesized latin capital letter x */
    { 0x1f128, "y"   },   /* parenthesized latin capital letter y */
    { 0x1f129, "z"   },   /* parenthesized latin capital letter z */
    { 0x1f150, "a"   },   /* negative circled latin capital letter a */
    { 0x1f151, "b"   },   /* negative circled latin capital letter b */
    { 0x1f152, "c"   },   /* negative circled latin capital letter c */
    { 0x1f153, "d"   },   /* negative circled latin capital letter d */
    { 0x1f154, "e"   },   /* negative circled latin capital letter e */
    { 0x1f155, "f"   },   /* negative circled latin capital letter f */
    { 0x1f156, "g"   },   /* negative circled latin capital letter g */
    { 0x1f157, "h"   },   /* negative circled latin capital letter h */
    { 0x1f158, "i"   },   /* negative circled latin capital letter i */
    { 0x1f159, "j"   },   /* negative circled latin capital letter j */
    { 0x1f15a, "k"   },   /* negative circled latin capital letter k */
    { 0x1f15b, "l"   },   /* negative circled latin capital letter l */
    { 0x1f15c, "m"   },   /* negative circled latin capital letter m */
    { 0x1f15d, "n"   },   /* negative circled latin capital letter n */
    { 0x1f15e, "o"   },   /* negative circled latin capital letter o */
    { 0x1f15f, "p"   },   /* negative circled latin capital letter p */
    { 0x1f160, "q"   },   /* negative circled latin capital letter q */
    { 0x1f161, "r"   },   /* negative circled latin capital letter r */
    { 0x1f162, "s"   },   /* negative circled latin capital letter s */
    { 0x1f163, "t"   },   /* negative circled latin capital letter t */
    { 0x1f164, "u"   },   /* negative circled latin capital letter u */
    { 0x1f165, "v"   },   /* negative circled latin capital letter v */
    { 0x1f166, "w"   },   /* negative circled latin capital letter w */
    { 0x1f167, "x"   },   /* negative circled latin capital letter x */
    { 0x1f168, "y"   },   /* negative circled latin capital letter y */
    { 0x1f169, "z"   },   /* negative circled latin capital letter z */
    { 0x1f170, "a"   },   /* negative squared latin capital letter a */
    { 0x1f171, "b"   },   /* negative squared latin capital letter b */
    { 0x1f172, "c"   },   /* negative squared latin capital letter c */
    { 0x1f173, "d"   },   /* negative squared latin capital letter d */
    { 0x1f174, "e"   },   /* negative squared latin capital letter e */
    { 0x1f175, "f"   },   /* negative squared latin capital letter f */
    { 0x1f176, "g"   },   /* negative squared latin capital letter g */
    { 0x1f177, "h"   },   /* negative squared latin capital letter h */
    { 0x1f178, "i"   },   /* negative squared latin capital letter i */
    { 0x1f179, "j"   },   /* negative squared latin capital letter j */
    { 0x1f17a, "k"   },   /* negative squared latin capital letter k */
    { 0x1f17b, "l"   },   /* negative squared latin capital letter l */
    { 0x1f17c, "m"   },   /* negative squared latin capital letter m */
    { 0x1f17d, "n"   },   /* negative squared latin capital letter n */
    { 0x1f17e, "o"   },   /* negative squared latin capital letter o */
    { 0x1f17f, "p"   },   /* negative squared latin capital letter p */
    { 0x1f180, "q"   },   /* negative squared latin capital letter q */
    { 0x1f181, "r"   },   /* negative squared latin capital letter r */
    { 0x1f182, "s"   },   /* negative squared latin capital letter s */
    { 0x1f183, "t"   },   /* negative squared latin capital letter t */
    { 0x1f184, "u"   },   /* negative squared latin capital letter u */
    { 0x1f185, "v"   },   /* negative squared latin capital letter v */
    { 0x1f186, "w"   },   /* negative squared latin capital letter w */
    { 0x1f187, "x"   },   /* negative squared latin capital letter x */
    { 0x1f188, "y"   },   /* negative squared latin capital letter y */
    { 0x1f189, "z"   },   /* negative squared latin capital letter z */
    { 0x1f1e6, "a"   },   /* regional indicator symbol letter a */
    { 0x1f1e7, "b"   },   /* regional indicator symbol letter b */
    { 0x1f1e8, "c"   },   /* regional indicator symbol letter c */
    { 0x1f1e9, "d"   },   /* regional indicator symbol letter d */
    { 0x1f1ea, "e"   },   /* regional indicator symbol letter e */
    { 0x1f1eb, "f"   },   /* regional indicator symbol letter f */
    { 0x1f1ec, "g"   },   /* regional indicator symbol letter g */
    { 0x1f1ed, "h"   },   /* regional indicator symbol letter h */
    { 0x1f1ee, "i"   },   /* regional indicator symbol letter i */
    { 0x1f1ef, "j"   },   /* regional indicator symbol letter j */
    { 0x1f1f0, "k"   },   /* regional indicator symbol letter k */
    { 0x1f1f1, "l"   },   /* regional indicator symbol letter l */
    { 0x1f1f2, "m"   },   /* regional indicator symbol letter m */
    { 0x1f1f3, "n"   },   /* regional indicator symbol letter n */
    { 0x1f1f4, "o"   },   /* regional indicator symbol letter o */
    { 0x1f1f5, "p"   },   /* regional indicator symbol letter p */
    { 0x1f1f6, "q"   },   /* regional indicator symbol letter q */
    { 0x1f1f7, "r"   },   /* regional indicator symbol letter r */
    { 0x1f1f8, "s"   },   /* regional indicator symbol letter s */
    { 0x1f1f9, "t"   },   /* regional indicator symbol letter t */
    { 0x1f1fa, "u"   },   /* regional indicator symbol letter u */
    { 0x1f1fb, "v"   },   /* regional indicator symbol letter v */
    { 0x1f1fc, "w"   },   /* regional indicator symbol letter w */
    { 0x1f1fd, "x"   },   /* regional indicator symbol letter x */
    { 0x1f1fe, "y"   },   /* regional indicator symbol letter y */
    { 0x1f1ff, "z"   },   /* regional indicator symbol letter z */
};


static const cm_entity_t  cm_entities[] = {
    { "AElig",    0x00c6 },
    { "Aacute",   0x00c1 },
    { "Acirc",    0x00c2 },
    { "Agrave",   0x00c0 },
    { "Alpha",    0x0391 },
    { "Aring",    0x00c5 },
    { "Atilde",   0x00c3 },
    { "Auml",     0x00c4 },
    { "Beta",     0x0392 },
    { "Ccedil",   0x00c7 },
    { "Chi",      0x03a7 },
    { "Dagger",   0x2021 },
    { "Delta",    0x0394 },
    { "ETH",      0x00d0 },
    { "Eacute",   0x00c9 },
    { "Ecirc",    0x00ca },
    { "Egrave",   0x00c8 },
    { "Epsilon",  0x0395 },
    { "Eta",      0x0397 },
    { "Euml",     0x00cb },
    { "Gamma",    0x0393 },
    { "Iacute",   0x00cd },
    { "Icirc",    0x00ce },
    { "Igrave",   0x00cc },
    { "Iota",     0x0399 },
    { "Iuml",     0x00cf },
    { "Kappa",    0x039a },
    { "Lambda",   0x039b },
    { "Mu",       0x039c },
    { "Ntilde",   0x00d1 },
    { "Nu",       0x039d },
    { "OElig",    0x0152 },
    { "Oacute",   0x00d3 },
    { "Ocirc",    0x00d4 },
    { "Ograve",   0x00d2 },
    { "Omega",    0x03a9 },
    { "Omicron",  0x039f },
    { "Oslash",   0x00d8 },
    { "Otilde",   0x00d5 },
    { "Ouml",     0x00d6 },
    { "Phi",      0x03a6 },
    { "Pi",       0x03a0 },
    { "Prime",    0x2033 },
    { "Psi",      0x03a8 },
    { "Rho",      0x03a1 },
    { "Scaron",   0x0160 },
    { "Sigma",    0x03a3 },
    { "THORN",    0x00de },
    { "Tau",      0x03a4 },
    { "Theta",    0x0398 },
    { "Uacute",   0x00da },
    { "Ucirc",    0x00db },
    { "Ugrave",   0x00d9 },
    { "Upsilon",  0x03a5 },
    { "Uuml",     0x00dc },
    { "Xi",       0x039e },
    { "Yacute",   0x00dd },
    { "Yuml",     0x0178 },
    { "Zeta",     0x0396 },
    { "aacute",   0x00e1 },
    { "acirc",    0x00e2 },
    { "acute",    0x00b4 },
    { "aelig",    0x00e6 },
    { "agrave",   0x00e0 },
    { "alefsym",  0x2135 },
    { "alpha",    0x03b1 },
    { "amp",      0x0026 },
    { "and",      0x2227 },
    { "ang",      0x2220 },
    { "apos",     0x0027 },
    { "aring",    0x00e5 },
    { "asymp",    0x2248 },
    { "atilde",   0x00e3 },
    { "auml",     0x00e4 },
    { "bdquo",    0x201e },
    { "beta",     0x03b2 },
    { "brvbar",   0x00a6 },
    { "bull",     0x2022 },
    { "cap",      0x2229 },
    { "ccedil",   0x00e7 },
    { "cedil",    0x00b8 },
    { "cent",     0x00a2 },
    { "chi",      0x03c7 },
    { "circ",     0x02c6 },
    { "clubs",    0x2663 },
    { "cong",     0x2245 },
    { "copy",     0x00a9 },
    { "crarr",    0x21b5 },
    { "cup",      0x222a },
    { "curren",   0x00a4 },
    { "dArr",     0x21d3 },
    { "dagger",   0x2020 },
    { "darr",     0x2193 },
    { "deg",      0x00b0 },
    { "delta",    0x03b4 },
    { "diams",    0x2666 },
    { "divide",   0x00f7 },
    { "eacute",   0x00e9 },
    { "ecirc",    0x00ea },
    { "egrave",   0x00e8 },
    { "empty",    0x2205 },
    { "emsp",     0x2003 },
    { "ensp",     0x2002 },
    { "epsilon",  0x03b5 },
    { "equiv",    0x2261 },
    { "eta",      0x03b7 },
    { "eth",      0x00f0 },
    { "euml",     0x00eb },
    { "euro",     0x20ac },
    { "exist",    0x2203 },
    { "fnof",     0x0192 },
    { "forall",   0x2200 },
    { "frac12",   0x00bd },
    { "frac14",   0x00bc },
    { "frac34",   0x00be },
    { "frasl",    0x2044 },
    { "gamma",    0x03b3 },
    { "ge",       0x2265 },
    { "gt",       0x003e },
    { "hArr",     0x21d4 },
    { "harr",     0x2194 },
    { "hearts",   0x2665 },
    { "hellip",   0x2026 },
    { "iacute",   0x00ed },
    { "icirc",    0x00ee },
    { "iexcl",    0x00a1 },
    { "igrave",   0x00ec },
    { "image",    0x2111 },
    { "infin",    0x221e },
    { "int",      0x222b },
    { "iota",     0x03b9 },
    { "iquest",   0x00bf },
    { "isin",     0x2208 },
    { "iuml",     0x00ef },
    { "kappa",    0x03ba },
    { "lArr",     0x21d0 },
    { "lambda",   0x03bb },
    { "lang",     0x2329 },
    { "laquo",    0x00ab },
    { "larr",     0x2190 },
    { "lceil",    0x2308 },
    { "ldquo",    0x201c },
    { "le",       0x2264 },
    { "lfloor",   0x230a },
    { "lowast",   0x2217 },
    { "loz",      0x25ca },
    { "lrm",      0x200e },
    { "lsaquo",   0x2039 },
    { "lsquo",    0x2018 },
    { "lt",       0x003c },
    { "macr",     0x00af },
    { "mdash",    0x2014 },
    { "micro",    0x00b5 },
    { "middot",   0x00b7 },
    { "minus",    0x2212 },
    { "mu",       0x03bc },
    { "nabla",    0x2207 },
    { "nbsp",     0x00a0 },
    { "ndash",    0x2013 },
    { "ne",       0x2260 },
    { "ni",       0x220b },
    { "not",      0x00ac },
    { "notin",    0x2209 },
    { "nsub",     0x2284 },
    { "ntilde",   0x00f1 },
    { "nu",       0x03bd },
    { "oacute",   0x00f3 },
    { "ocirc",    0x00f4 },
    { "oelig",    0x0153 },
    { "ograve",   0x00f2 },
    { "oline",    0x203e },
    { "omega",    0x03c9 },
    { "omicron",  0x03bf },
    { "oplus",    0x2295 },
    { "or",       0x2228 },
    { "ordf",     0x00aa },
    { "ordm",     0x00ba },
    { "oslash",   0x00f8 },
    { "otilde",   0x00f5 },
    { "otimes",   0x2297 },
    { "ouml",     0x00f6 },
    { "para",     0x00b6 },
    { "part",     0x2202 },
    { "permil",   0x2030 },
    { "perp",     0x22a5 },
    { "phi",      0x03c6 },
    { "pi",       0x03c0 },
    { "piv",      0x03d6 },
    { "plusmn",   0x00b1 },
    { "pound",    0x00a3 },
    { "prime",    0x2032 },
    { "prod",     0x220f },
    { "prop",     0x221d },
    { "psi",      0x03c8 },
    { "quot",     0x0022 },
    { "rArr",     0x21d2 },
    { "radic",    0x221a },
    { "rang",     0x232a },
    { "raquo",    0x00bb },
    { "rarr",     0x2192 },
    { "rceil",    0x2309 },
    { "rdquo",    0x201d },
    { "real",     0x211c },
    { "reg",      0x00ae },
    { "rfloor",   0x230b },
    { "rho",      0x03c1 },
    { "rlm",      0x200f },
    { "rsaquo",   0x203a },
    { "rsquo",    0x2019 },
    { "sbquo",    0x201a },
    { "scaron",   0x0161 },
    { "sdot",     0x22c5 },
    { "sect",     0x00a7 },
    { "shy",      0x00ad },
    { "sigma",    0x03c3 },
    { "sigmaf",   0x03c2 },
    { "sim",      0x223c },
    { "spades",   0x2660 },
    { "sub",      0x2282 },
    { "sube",     0x2286 },
    { "sum",      0x2211 },
    { "sup",      0x2283 },
    { "sup1",     0x00b9 },
    { "sup2",     0x00b2 },
    { "sup3",     0x00b3 },
    { "supe",     0x2287 },
    { "szlig",    0x00df },
    { "tau",      0x03c4 },
    { "there4",   0x2234 },
    { "theta",    0x03b8 },
    { "thetasym", 0x03d1 },
    { "thinsp",   0x2009 },
    { "thorn",    0x00fe },
    { "tilde",    0x02dc },
    { "times",    0x00d7 },
    { "trade",    0x2122 },
    { "uArr",     0x21d1 },
    { "uacute",   0x00fa },
    { "uarr",     0x2191 },
    { "ucirc",    0x00fb },
    { "ugrave",   0x00f9 },
    { "uml",      0x00a8 },
    { "upsih",    0x03d2 },
    { "upsilon",  0x03c5 },
    { "uuml",     0x00fc },
    { "weierp",   0x2118 },
    { "xi",       0x03be },
    { "yacute",   0x00fd },
    { "yen",      0x00a5 },
    { "yuml",     0x00ff },
    { "zeta",     0x03b6 },
    { "zwj",      0x200d },
    { "zwnj",     0x200c },
};


#endif /* _CM_CONFUSABLES_H_INCLUDED_ */
