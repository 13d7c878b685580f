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
#define PHONE_DIGITS 8      /* fewest digits of a phone number or an IBAN's run */
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

/* Whether text[start:end], separators stripped off its end, is a date. */
static int is_date(const Text *t, Py_ssize_t start, Py_ssize_t end) {
    while (end > start) {
        Py_UCS4 c = at(t, end - 1);
        if (c != ' ' && c != '.' && c != '-' && c != '/' && c != '(' && c != ')')
            break;
        end--;
    }
    for (const char **shape = DATE_SHAPES; *shape; shape++) {
        Py_ssize_t length = (Py_ssize_t)strlen(*shape);
        if (length == end - start && shape_at(t, start, *shape, length))
            return 1;
    }
    return 0;
}

static inline int digit_at(const Text *t, Py_ssize_t i, Py_ssize_t end) { return i < end && is_digit(at(t, i)); }

/* A digit from 2 to 9 at i: the first digit of a North American area code or exchange. */
static inline int lead_at(const Text *t, Py_ssize_t i, Py_ssize_t end) {
    return i < end && at(t, i) >= '2' && at(t, i) <= '9';
}

static inline int separator_at(const Text *t, Py_ssize_t i, Py_ssize_t end) {
    return i < end && (at(t, i) == ' ' || at(t, i) == '.' || at(t, i) == '-');
}

/* Whether text[start:end] holds a North American number, "(415) 555-0100" or "415-555-0100": area
 * code and exchange starting with a digit from 2 to 9, the space after ")" optional, any of " .-"
 * between the groups (_NANP in digit_runs.py). */
static int holds_nanp(const Text *t, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t p = start; p < end; p++) {
        Py_ssize_t q;
        if (at(t, p) == '(' && lead_at(t, p + 1, end) && digit_at(t, p + 2, end) && digit_at(t, p + 3, end)
                && p + 4 < end && at(t, p + 4) == ')') {
            q = p + 5;
            if (q < end && at(t, q) == ' ')
                q++;
        } else if (lead_at(t, p, end) && digit_at(t, p + 1, end) && digit_at(t, p + 2, end)
                   && separator_at(t, p + 3, end)) {
            q = p + 4;
        } else {
            continue;
        }
        if (lead_at(t, q, end) && digit_at(t, q + 1, end) && digit_at(t, q + 2, end) && separator_at(t, q + 3, end)
                && digit_at(t, q + 4, end) && digit_at(t, q + 5, end) && digit_at(t, q + 6, end)
                && digit_at(t, q + 7, end))
            return 1;
    }
    return 0;
}

/* Whether the line from `i` to `first` starts with "0" after its whitespace and any "(". */
static int line_starts_with_zero(const Text *t, Py_ssize_t i, Py_ssize_t first) {
    while (i < first && Py_UNICODE_ISSPACE(at(t, i)))
        i++;
    while (i < first && at(t, i) == '(')
        i++;
    return at(t, i) == '0';
}

/* engine.guardrails.cards.known_card_prefix, for `length` ASCII digits. */
static int known_card_prefix(const char *d, int length) {
    int two = (d[0] - '0') * 10 + (d[1] - '0'), three = two * 10 + (d[2] - '0'), four = three * 10 + (d[3] - '0');
    if (d[0] == '4')
        return length == 13 || length == 16 || length == 19;
    if ((51 <= two && two <= 55) || (2221 <= four && four <= 2720))
        return length == 16;
    if (two == 34 || two == 37)
        return length == 15;
    if (four == 6011 || two == 65 || (644 <= three && three <= 649))
        return 16 <= length && length <= 19;
    if (3528 <= four && four <= 3589)  /* JCB */
        return 16 <= length && length <= 19;
    if ((300 <= three && three <= 305) || two == 36 || two == 38 || two == 39)  /* Diners Club */
        return 14 <= length && length <= 19;
    switch (four) {  /* Maestro */
    case 5018: case 5020: case 5038: case 5893: case 6304: case 6759: case 6761: case 6762: case 6763:
        return 12 <= length && length <= 19;
    }
    if (two == 62)  /* UnionPay */
        return 16 <= length && length <= 19;
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
        if (c < '2' || c > '6' || (p > first && is_digit(at(t, p - 1))))
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
    /* The line the runs are on, and whether it starts with "0" (-1: not worked out yet): read once
     * per line, so one long line with many runs costs one pass. */
    Py_ssize_t line = 0, line_known = -1;
    int line_zero = 0;
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
        if (contains(&t, start, end, "000-00-0000"))
            marks |= SSN;
        if (dots >= 3)
            marks |= DOTS;
        if (is_date(&t, start, end))
            marks |= DATE;
        if (digits >= 12 && holds_card(&t, first, last))
            marks |= CARD;
        if (digits >= PHONE_DIGITS) {
            if ((at(&t, start) == '+' && at(&t, first) != '0') || holds_nanp(&t, start, end))
                marks |= PHONE;
            if (line_known != line) {
                line_zero = line_starts_with_zero(&t, line, first);
                line_known = line;
            }
            if (line_zero)
                marks |= ALONE;
            if (ends_between(iban_ends, start - IBAN_BEFORE, end + IBAN_AFTER))
                marks |= IBAN;
            if (ends_between(cue_ends, start - CUE_WINDOW, start + 1))
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
