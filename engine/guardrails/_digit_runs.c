/* The digit runs of a text that a PII number check can find something in: the C version of
 * engine.guardrails.digit_runs.python_find_runs (see that module for what a run and its marks are).
 *
 * The PII detector's checks of digit runs (cards, IBANs, SSNs, IPv4 addresses, phone numbers)
 * are Python regexes and checksums; which runs they look at was decided in a Python loop over
 * every run of the text, which cost as much as the checks themselves. Here one pass over the
 * characters finds the runs and marks what each could hold, so Python only sees the few runs
 * a check has to look at. tests/guardrails/test_digit_runs.py checks this file against the Python
 * version on random texts. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* Keep in step with engine/guardrails/digit_runs.py. */
enum {
    SSN = 1, DOTS = 2, PHONE = 4, DATE = 8, ALONE = 16, CARD = 32, IBAN = 64, CUE = 128,
};
#define HOT (SSN | DOTS | PHONE | ALONE | CARD | IBAN | CUE)
#define MIN_RUN 7           /* characters from a run's first digit to its last */
#define PHONE_DIGITS 7      /* fewest digits of a phone number (a national number without its trunk prefix) */
#define LONG_DIGITS 8       /* fewest digits of an IBAN's run and of a number a phone cue or its line marks */
#define IBAN_BEFORE 12      /* an IBAN's condition ends up to this far before the run ... */
#define IBAN_AFTER 26       /* ... or this far after it */
#define CUE_WINDOW 40       /* a phone cue ends up to this far before the run */

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t size;
} Text;

static inline Py_UCS4 at(const Text *t, Py_ssize_t i) { return PyUnicode_READ(t->kind, t->data, i); }

static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }

static inline int in_run(Py_UCS4 c) {
    return is_digit(c) || c == ' ' || c == '.' || c == '(' || c == ')' || c == '/' || c == '-';
}

/* The character as the run's shapes spell it: every ASCII digit is '0'. */
static inline Py_UCS4 shaped(const Text *t, Py_ssize_t i) {
    Py_UCS4 c = at(t, i);
    return is_digit(c) ? '0' : c;
}

static int shape_at(const Text *t, Py_ssize_t i, const char *shape, Py_ssize_t length) {
    for (Py_ssize_t j = 0; j < length; j++)
        if (shaped(t, i + j) != (Py_UCS4)(unsigned char)shape[j])
            return 0;
    return 1;
}

/* Whether text[start:end] holds `shape` ('0' for any digit). */
static int contains(const Text *t, Py_ssize_t start, Py_ssize_t end, const char *shape) {
    Py_ssize_t length = (Py_ssize_t)strlen(shape);
    for (Py_ssize_t i = start; i + length <= end; i++)
        if (shape_at(t, i, shape, length))
            return 1;
    return 0;
}

static const char *DATE_SHAPES[] = {
    "0000-00-00", "0000/00/00", "0000.00.00", "00-00-0000", "00/00/0000", "00.00.0000",
    "0-00-0000", "0/00/0000", "0.00.0000", "00/0/0000", "0/0/0000", "00.0.0000", NULL,
};

/* Whether text[start:last] (a run up to its last digit, whatever follows it) is a date. */
static int is_date(const Text *t, Py_ssize_t start, Py_ssize_t last) {
    for (const char **shape = DATE_SHAPES; *shape; shape++) {
        Py_ssize_t length = (Py_ssize_t)strlen(*shape);
        if (length == last - start && shape_at(t, start, *shape, length))
            return 1;
    }
    return 0;
}

/* Whether the run whose first digit is at `first` starts its line: only whitespace, "(" and "+" from the
 * line's start `i` to it (_run_starts_line in digit_runs.py). */
static int run_starts_line(const Text *t, Py_ssize_t i, Py_ssize_t first) {
    while (i < first && Py_UNICODE_ISSPACE(at(t, i)))
        i++;
    while (i < first && (at(t, i) == '(' || at(t, i) == '+'))
        i++;
    return i == first;
}

/* Whether a character glues a number to what stands before it: an ASCII letter or digit, "_", "+", "." or "-"
 * (phones._CANDIDATE starts a number after none of them, nor after "/" or "," but for its CSV cases). */
static inline int glues(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '+' || c == '.'
        || c == '-';
}

/* Whether a phone number can start in text[start:end]: a digit, "+" or "(" that nothing glues to the
 * character before it (_PHONE_START in digit_runs.py). */
static int phone_can_start(const Text *t, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t p = start; p < end; p++) {
        Py_UCS4 c = at(t, p);
        if ((is_digit(c) || c == '+' || c == '(') && (p == 0 || !glues(at(t, p - 1))))
            return 1;
    }
    return 0;
}

/* engine.guardrails.cards.ISSUERS: low and high prefix, how many digits they have, the card lengths as bits. */
typedef struct {
    long low, high;
    int digits;
    unsigned long lengths;
} Issuer;

static const Issuer ISSUERS[] = {
    {34, 34, 2, 0x8000},  /* American Express */
    {37, 37, 2, 0x8000},  /* American Express */
    {31, 31, 2, 0x80000},  /* China T-Union */
    {62, 62, 2, 0xf0000},  /* UnionPay */
    {81, 81, 2, 0xf0000},  /* UnionPay */
    {36, 36, 2, 0xfc000},  /* Diners Club International */
    {300, 305, 3, 0xfc000},  /* Diners Club */
    {3095, 3095, 4, 0xfc000},  /* Diners Club */
    {38, 39, 2, 0xfc000},  /* Diners Club */
    {6011, 6011, 4, 0xf0000},  /* Discover */
    {644, 649, 3, 0xf0000},  /* Discover */
    {65, 65, 2, 0xf0000},  /* Discover */
    {60400100, 60420099, 8, 0xf0000},  /* UkrCard */
    {60, 60, 2, 0x10000},  /* RuPay */
    {81, 82, 2, 0x10000},  /* RuPay */
    {508, 508, 3, 0x10000},  /* RuPay */
    {353, 353, 3, 0x10000},  /* RuPay */
    {356, 356, 3, 0x10000},  /* RuPay */
    {636, 636, 3, 0xf0000},  /* InterPayment */
    {637, 639, 3, 0x10000},  /* InstaPayment */
    {3528, 3589, 4, 0xf0000},  /* JCB */
    {6759, 6759, 4, 0xff000},  /* Maestro UK */
    {676770, 676770, 6, 0xff000},  /* Maestro UK */
    {676774, 676774, 6, 0xff000},  /* Maestro UK */
    {5018, 5018, 4, 0xff000},  /* Maestro */
    {5020, 5020, 4, 0xff000},  /* Maestro */
    {5038, 5038, 4, 0xff000},  /* Maestro */
    {5893, 5893, 4, 0xff000},  /* Maestro */
    {6304, 6304, 4, 0xff000},  /* Maestro */
    {6761, 6761, 4, 0xff000},  /* Maestro */
    {6762, 6762, 4, 0xff000},  /* Maestro */
    {6763, 6763, 4, 0xff000},  /* Maestro */
    {5019, 5019, 4, 0x10000},  /* Dankort */
    {2200, 2204, 4, 0xf0000},  /* Mir */
    {2205, 2205, 4, 0x10000},  /* BORICA */
    {2221, 2720, 4, 0x10000},  /* Mastercard */
    {51, 55, 2, 0x10000},  /* Mastercard */
    {9792, 9792, 4, 0x10000},  /* Troy */
    {4, 4, 1, 0x92000},  /* Visa */
    {506099, 506198, 6, 0xd0000},  /* Verve */
    {650002, 650027, 6, 0xd0000},  /* Verve */
    {507865, 507964, 6, 0xd0000},  /* Verve */
    {357111, 357111, 6, 0x10000},  /* LankaPay */
    {8600, 8600, 4, 0x10000},  /* UzCard */
    {5614, 5614, 4, 0x10000},  /* UzCard */
    {9860, 9860, 4, 0x10000},  /* Humo */
    {1946, 1946, 4, 0xd0000},  /* GPN */
    {50, 50, 2, 0xd0000},  /* GPN */
    {56, 56, 2, 0xd0000},  /* GPN */
    {58, 58, 2, 0xd0000},  /* GPN */
    {60, 63, 2, 0xd0000},  /* GPN */
    {50, 50, 2, 0xff000},  /* Maestro (historic range) (weak) */
    {56, 69, 2, 0xff000},  /* Maestro (historic range) (weak) */
    {1800, 1800, 4, 0x8000},  /* JCB (15 digits) (weak) */
    {2131, 2131, 4, 0x8000},  /* JCB (15 digits) (weak) */
    {35, 35, 2, 0xf0000},  /* JCB (35 block) (weak) */
    {1, 1, 1, 0x8000},  /* UATP (weak) */
};

/* Whether a card number can start with digit c (engine.guardrails.cards.FIRST_DIGITS). */
static int is_card_start(Py_UCS4 c) {
    return c != '0' && c != '7' && is_digit(c);
}

/* engine.guardrails.cards.known_card_prefix, for `length` ASCII digits (12 to 19). */
static int known_card_prefix(const char *d, int length) {
    for (size_t k = 0; k < sizeof ISSUERS / sizeof ISSUERS[0]; k++) {
        const Issuer *issuer = &ISSUERS[k];
        if (!(issuer->lengths >> length & 1) || issuer->digits > length)
            continue;
        long prefix = 0;
        for (int i = 0; i < issuer->digits; i++)
            prefix = prefix * 10 + (d[i] - '0');
        if (issuer->low <= prefix && prefix <= issuer->high)
            return 1;
    }
    return 0;
}

/* engine.guardrails.cards.luhn_valid. */
static int luhn_valid(const char *d, int length) {
    int sum = 0;
    for (int i = 0; i < length; i++) {
        int v = d[length - 1 - i] - '0';
        if (i % 2 == 1)
            v = v * 2 > 9 ? v * 2 - 9 : v * 2;
        sum += v;
    }
    return sum % 10 == 0;
}

/* Whether text[first:last] holds 12 to 19 digits from the start of a group of digits to the end of a
 * later one, groups separated by one space or dash, with a known issuer's prefix and length and a
 * valid Luhn checksum (_holds_card in digit_runs.py). */
static int holds_card(const Text *t, Py_ssize_t first, Py_ssize_t last) {
    char digits[20];
    for (Py_ssize_t p = first; p < last; p++) {
        Py_UCS4 c = at(t, p);
        /* A group starts here, with a digit some issuer's prefix starts with. */
        if (!is_card_start(c) || (p > first && is_digit(at(t, p - 1))))
            continue;
        int count = 0;
        Py_ssize_t i = p;
        for (;;) {
            while (i < last && is_digit(at(t, i)) && count <= 19)
                digits[count++] = (char)at(t, i++);
            if (count > 19)
                break;
            if (count >= 12 && known_card_prefix(digits, count) && luhn_valid(digits, count))
                return 1;
            /* The next group, after one space or dash. */
            if (i + 1 < last && (at(t, i) == ' ' || at(t, i) == '-') && is_digit(at(t, i + 1)))
                i++;
            else
                break;
        }
    }
    return 0;
}

/* Whether one of `ends` (a sorted list of ints, or None for anywhere) is > low and <= high. */
static int ends_between(PyObject *ends, Py_ssize_t low, Py_ssize_t high) {
    if (ends == Py_None)
        return 1;
    Py_ssize_t lo = 0, hi = PyList_GET_SIZE(ends);
    while (lo < hi) {  /* bisect_right(ends, low) */
        Py_ssize_t mid = (lo + hi) / 2;
        if (PyLong_AsSsize_t(PyList_GET_ITEM(ends, mid)) <= low)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < PyList_GET_SIZE(ends) && PyLong_AsSsize_t(PyList_GET_ITEM(ends, lo)) <= high;
}

static int is_ends(PyObject *ends) {
    if (ends == Py_None || PyList_Check(ends))
        return 1;
    PyErr_SetString(PyExc_TypeError, "ends must be a list of ints or None");
    return 0;
}

static PyObject *find_runs(PyObject *module, PyObject *args) {
    PyObject *text, *iban_ends, *cue_ends;
    if (!PyArg_ParseTuple(args, "UOO:find_runs", &text, &iban_ends, &cue_ends))
        return NULL;
    if (!is_ends(iban_ends) || !is_ends(cue_ends))
        return NULL;
    Text t = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    PyObject *found = PyList_New(0);
    if (found == NULL)
        return NULL;
    Py_ssize_t i = 0;
    Py_ssize_t line = 0;  /* where the line of the run starts */
    while (i < t.size) {
        /* The next maximal stretch of run characters, from its first digit to its last. */
        while (i < t.size && !is_digit(at(&t, i))) {
            if (at(&t, i) == '\n')
                line = i + 1;
            i++;
        }
        if (i >= t.size)
            break;
        Py_ssize_t first = i, last = i;
        while (i < t.size && in_run(at(&t, i))) {
            if (is_digit(at(&t, i)))
                last = i;
            i++;
        }
        last++;
        if (last - first < MIN_RUN)
            continue;
        /* The "+" or "(" before the run, and one character after it for the checks' look-aheads. */
        Py_ssize_t start = first > 0 && (at(&t, first - 1) == '+' || at(&t, first - 1) == '(') ? first - 1 : first;
        Py_ssize_t end = last < t.size ? last + 1 : last;
        Py_ssize_t digits = 0, dots = 0;
        for (Py_ssize_t j = start; j < end; j++) {
            Py_UCS4 c = at(&t, j);
            digits += is_digit(c);
            dots += c == '.';
        }
        int marks = 0;
        if (contains(&t, start, end, "000-00-0000") || contains(&t, start, end, "000 00 0000")
                || (digits == 9 && last - first == 9))
            marks |= SSN;
        if (dots >= 3)
            marks |= DOTS;
        if (is_date(&t, start, last))
            marks |= DATE;
        if (digits >= 12 && holds_card(&t, first, last))
            marks |= CARD;
        /* The marks that send a run to the phone check, only where a phone number can be in it. */
        int phone = digits >= PHONE_DIGITS && !(marks & DATE) && phone_can_start(&t, start, end);
        /* International, a trunk prefix or parentheses, or digits in groups (_phone_shaped in digit_runs.py). */
        if (phone && (at(&t, start) == '+' || at(&t, start) == '(' || at(&t, first) == '0' || last - first > digits))
            marks |= PHONE;
        if (digits >= LONG_DIGITS) {
            if (phone && run_starts_line(&t, line, first))
                marks |= ALONE;
            if (ends_between(iban_ends, start - IBAN_BEFORE, end + IBAN_AFTER))
                marks |= IBAN;
            if (phone && ends_between(cue_ends, start - CUE_WINDOW, start + 1))
                marks |= CUE;
        }
        if (PyErr_Occurred()) {  /* an end that is not an int */
            Py_DECREF(found);
            return NULL;
        }
        if (marks & HOT) {
            PyObject *run = Py_BuildValue("(nnni)", start, end, digits, marks);
            if (run == NULL || PyList_Append(found, run) < 0) {
                Py_XDECREF(run);
                Py_DECREF(found);
                return NULL;
            }
            Py_DECREF(run);
        }
    }
    return found;
}

static PyMethodDef methods[] = {
    {"find_runs", find_runs, METH_VARARGS,
     "find_runs(text, iban_ends, cue_ends) -> list of (start, end, digits, marks): the digit runs a check can "
     "find something in (see engine.guardrails.digit_runs)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "engine.guardrails._digit_runs", "The digit runs of a text, in C (see engine.guardrails.digit_runs).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__digit_runs(void) { return PyModule_Create(&module); }
