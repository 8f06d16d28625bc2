/* The claim loops of an 835 transaction set, in C: the same behaviour as claimloop.py.
 *
 * ClaimLoop(reader) mirrors connector.sources.era.claimloop.ClaimLoop attribute for attribute
 * and step for step (read that module first: it is the reference). consume() reads the
 * common, well-formed shapes of CLP, CAS, SVC, DTM, REF, AMT and NM1 itself: element spans are
 * found in the raw segment text and only the elements that are kept become Python strings.
 * Anything else (a value not yet in the amount/date/quantity caches, an odd element count, an
 * alternative component separator, LQ, QTY, MOA, MIA, PER ...) goes to the same
 * SegmentReader method the Python loop calls, so values, warnings and error messages come from
 * one place. tests/sources/era/test_speedups.py compares the two implementations.
 *
 * Model objects (frozen, slotted dataclasses) are built the way
 * connector.sources.era._fast builds them: a new instance of the class with each slot stored
 * directly (the slot offsets are read from the class's member descriptors at import). The
 * dataclasses' own __init__ only stores the fields, which claimloop.py checks
 * (fast_constructor refuses a class whose slots are not exactly its fields).
 *
 * Built by `make era-fast` (setup.py); without it the Python loop runs.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define MAX_ELEMENTS 24 /* element spans kept per segment (CAS has the most: 20) */
#define MAX_FIELDS 24
#define PROCEDURES_LIMIT 4096 /* SVC01 texts remembered per transaction set */

/* States (claimloop.py) */
enum { START = 0, HEADER, PAYER, PAYEE, LX, CLAIM, LINE, PLB };

typedef struct {
    PyTypeObject *type;
    Py_ssize_t n;
    Py_ssize_t offsets[MAX_FIELDS];
} Model;

static Model M_ADJUSTMENT, M_REFERENCE, M_AMOUNT, M_PERSON, M_LINE, M_CLAIM;
static PyObject *BalanceError, *ZERO, *AMOUNTS, *DATES, *QUANTITIES, *GROUPS_5010,
    *claim_warnings, *EMPTY, *EMPTY_TUPLE;
static PyObject *S_cas, *S_dtm, *S_svc, *S_ref, *S_amt, *S_clp, *S_nm1, *S_lq, *S_qty,
    *S_remark_codes, *S_check_limit, *S_procedure, *S_warnings, *S_PER, *S_MOA, *S_MIA,
    *S_line, *S_claim, *S_line_balance, *S_claim_balance,
    *S_claim_line_payments, *S_SVC, *S_CLP, *S_SVC03, *S_CLP04, *S_PR, *I_NINE;

/* ---- model construction ----------------------------------------------------------------- */

static int
model_init(Model *m, PyObject *module, const char *name, Py_ssize_t expected)
{
    PyObject *cls = PyObject_GetAttrString(module, name);
    if (cls == NULL)
        return -1;
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_ImportError, "%s is not a class", name);
        goto fail;
    }
    PyTypeObject *type = (PyTypeObject *)cls;
    if (PyObject_HasAttrString(cls, "__post_init__")) {
        PyErr_Format(PyExc_ImportError, "%s has __post_init__", name);
        goto fail;
    }
    PyObject *slots = PyDict_GetItemString(type->tp_dict, "__slots__");
    if (slots == NULL || !PyTuple_Check(slots) || PyTuple_GET_SIZE(slots) != expected
        || expected > MAX_FIELDS) {
        PyErr_Format(PyExc_ImportError, "%s: expected %zd slots", name, expected);
        goto fail;
    }
    for (Py_ssize_t i = 0; i < expected; i++) {
        PyObject *descr = PyDict_GetItemWithError(type->tp_dict, PyTuple_GET_ITEM(slots, i));
        if (descr == NULL || !PyObject_TypeCheck(descr, &PyMemberDescr_Type)) {
            PyErr_Format(PyExc_ImportError, "%s: slot %zd is not a member", name, i);
            goto fail;
        }
        PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
        if (member->type != T_OBJECT_EX || (member->flags & READONLY)) {
            PyErr_Format(PyExc_ImportError, "%s: slot %zd is not an object slot", name, i);
            goto fail;
        }
        m->offsets[i] = member->offset;
    }
    m->type = type; /* keeps the reference */
    m->n = expected;
    return 0;
fail:
    Py_DECREF(cls);
    return -1;
}

/* A new instance with its slots set to vals[0..n-1] (references stolen, none NULL). */
static PyObject *
make(Model *m, PyObject **vals)
{
    PyObject *obj = m->type->tp_alloc(m->type, 0);
    if (obj == NULL) {
        for (Py_ssize_t i = 0; i < m->n; i++)
            Py_XDECREF(vals[i]);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < m->n; i++)
        *(PyObject **)((char *)obj + m->offsets[i]) = vals[i];
    /* Frozen instances holding only strings, numbers, dates and tuples of other such
     * instances cannot be part of a reference cycle: the cyclic collector need not scan them
     * (as CPython itself does for tuples of atomic values). */
    if (PyObject_GC_IsTracked(obj))
        PyObject_GC_UnTrack(obj);
    return obj;
}

/* ---- segment text ------------------------------------------------------------------------ */

typedef struct {
    PyObject *raw;
    int kind;
    const void *data;
    Py_ssize_t len;
    int n;        /* elements, the id included */
    int overflow; /* more than MAX_ELEMENTS */
    Py_ssize_t start[MAX_ELEMENTS], end[MAX_ELEMENTS];
} Seg;

static void
scan(Seg *g, PyObject *raw, Py_UCS4 sep)
{
    g->raw = raw;
    g->kind = PyUnicode_KIND(raw);
    g->data = PyUnicode_DATA(raw);
    g->len = PyUnicode_GET_LENGTH(raw);
    g->overflow = 0;
    int n = 0;
    Py_ssize_t begin = 0;
    if (g->kind == PyUnicode_1BYTE_KIND && sep < 256) {
        const Py_UCS1 *p = (const Py_UCS1 *)g->data;
        const Py_UCS1 *hit;
        while ((hit = memchr(p + begin, (int)sep, (size_t)(g->len - begin))) != NULL) {
            if (n == MAX_ELEMENTS - 1) {
                g->overflow = 1;
                g->n = n;
                return;
            }
            g->start[n] = begin;
            g->end[n] = hit - p;
            n++;
            begin = hit - p + 1;
        }
    }
    else {
        for (Py_ssize_t i = 0; i < g->len; i++) {
            if (PyUnicode_READ(g->kind, g->data, i) == sep) {
                if (n == MAX_ELEMENTS - 1) {
                    g->overflow = 1;
                    g->n = n;
                    return;
                }
                g->start[n] = begin;
                g->end[n] = i;
                n++;
                begin = i + 1;
            }
        }
    }
    g->start[n] = begin;
    g->end[n] = g->len;
    g->n = n + 1;
}

static inline int
is_empty(const Seg *g, int i)
{
    return i >= g->n || g->start[i] == g->end[i];
}

static inline Py_ssize_t
width(const Seg *g, int i)
{
    return i >= g->n ? 0 : g->end[i] - g->start[i];
}

/* Element i as a new str ("" when absent). */
static PyObject *
text(const Seg *g, int i)
{
    if (is_empty(g, i))
        return Py_NewRef(EMPTY);
    return PyUnicode_Substring(g->raw, g->start[i], g->end[i]);
}

/* Element i as an interned str (codes and qualifiers repeat on every claim). Short ASCII
 * codes are remembered in a small direct-mapped table, so a repeat costs no allocation. */
#define CODE_SLOTS 1024
static struct {
    unsigned long long key;
    PyObject *value;
} code_cache[CODE_SLOTS];

static PyObject *
interned(const Seg *g, int i)
{
    Py_ssize_t w = width(g, i);
    if (w == 0)
        return Py_NewRef(EMPTY);
    unsigned long long key = 0;
    size_t slot = 0;
    int cacheable = g->kind == PyUnicode_1BYTE_KIND && w <= 7;
    if (cacheable) {
        key = (unsigned long long)w;
        memcpy((char *)&key + 1, (const char *)g->data + g->start[i], (size_t)w);
        slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 54) & (CODE_SLOTS - 1);
        if (code_cache[slot].value != NULL && code_cache[slot].key == key)
            return Py_NewRef(code_cache[slot].value);
    }
    PyObject *s = PyUnicode_Substring(g->raw, g->start[i], g->end[i]);
    if (s == NULL)
        return NULL;
    PyUnicode_InternInPlace(&s);
    if (cacheable) {
        Py_XSETREF(code_cache[slot].value, Py_NewRef(s));
        code_cache[slot].key = key;
    }
    return s;
}

/* ---- amounts and dates -------------------------------------------------------------------- */

/* Amounts by value in cents. Only the plain shape is read here: an optional minus, at most 15
 * digits before an optional point and at most 2 after, not negative zero. It gives exactly
 * values.amount()'s Decimal (two decimal places); anything else goes to SegmentReader. */
#define AMOUNT_SLOTS 8192
static PyObject *DecimalType;
static struct {
    long long cents;
    PyObject *value;
} amount_cache[AMOUNT_SLOTS];

static PyObject *
amount_of(const Seg *g, int i, int *err)
{
    *err = 0;
    Py_ssize_t w = width(g, i);
    if (w == 0 || w > 18)
        return NULL;
    Py_ssize_t k = g->start[i], end = g->end[i];
    int negative = 0, dot = 0, whole_digits = 0, places = 0;
    long long whole = 0, fraction = 0;
    if (PyUnicode_READ(g->kind, g->data, k) == '-') {
        negative = 1;
        k++;
    }
    for (; k < end; k++) {
        Py_UCS4 c = PyUnicode_READ(g->kind, g->data, k);
        if (c >= '0' && c <= '9') {
            if (!dot) {
                if (++whole_digits > 15)
                    return NULL;
                whole = whole * 10 + (long long)(c - '0');
            }
            else {
                if (++places > 2)
                    return NULL;
                fraction = fraction * 10 + (long long)(c - '0');
            }
        }
        else if (c == '.' && !dot)
            dot = 1;
        else
            return NULL;
    }
    if (whole_digits + places == 0)
        return NULL;
    if (places == 1)
        fraction *= 10;
    long long cents = whole * 100 + fraction;
    if (negative) {
        if (cents == 0)
            return NULL; /* "-0.00": values.amount() keeps the sign */
        cents = -cents;
    }
    unsigned long long h = (unsigned long long)cents * 0x9E3779B97F4A7C15ULL;
    size_t slot = (size_t)(h >> 51) & (AMOUNT_SLOTS - 1);
    if (amount_cache[slot].value != NULL && amount_cache[slot].cents == cents)
        return Py_NewRef(amount_cache[slot].value);
    /* "-123.45": digits written backwards from the end of buf */
    char buf[40];
    char *at = buf + sizeof buf;
    *--at = (char)('0' + fraction % 10);
    *--at = (char)('0' + fraction / 10);
    *--at = '.';
    do {
        *--at = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole > 0);
    if (negative)
        *--at = '-';
    PyObject *textual = PyUnicode_FromStringAndSize(at, buf + sizeof buf - at);
    if (textual == NULL) {
        *err = 1;
        return NULL;
    }
    PyObject *value = PyObject_CallOneArg(DecimalType, textual);
    Py_DECREF(textual);
    if (value == NULL) {
        *err = 1;
        return NULL;
    }
    Py_XSETREF(amount_cache[slot].value, Py_NewRef(value));
    amount_cache[slot].cents = cents;
    return value;
}

/* A valid CCYYMMDD date of element i from values.DATES (through a small table), or NULL:
 * *err tells an error from "not known yet or not a date" (then SegmentReader reads it). */
#define DATE_SLOTS 1024
static struct {
    unsigned long long key;
    PyObject *value;
} date_cache[DATE_SLOTS];

static PyObject *cached(PyObject *cache, const Seg *g, int i, int *err);

static PyObject *
date_of(const Seg *g, int i, int *err)
{
    *err = 0;
    unsigned long long key = 0;
    size_t slot = 0;
    int cacheable = g->kind == PyUnicode_1BYTE_KIND && width(g, i) == 8;
    if (cacheable) {
        memcpy(&key, (const char *)g->data + g->start[i], 8);
        slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 54) & (DATE_SLOTS - 1);
        if (date_cache[slot].value != NULL && date_cache[slot].key == key)
            return Py_NewRef(date_cache[slot].value);
    }
    PyObject *date = cached(DATES, g, i, err);
    if (date == NULL)
        return NULL;
    if (date == Py_None) {
        Py_DECREF(date);
        return NULL;
    }
    if (cacheable) {
        Py_XSETREF(date_cache[slot].value, Py_NewRef(date));
        date_cache[slot].key = key;
    }
    return date;
}

/* The cached value of element i (new reference), or NULL: *err tells a miss from an error. */
static PyObject *
cached(PyObject *cache, const Seg *g, int i, int *err)
{
    *err = 0;
    PyObject *key = text(g, i);
    if (key == NULL) {
        *err = 1;
        return NULL;
    }
    PyObject *found = PyDict_GetItemWithError(cache, key);
    Py_DECREF(key);
    if (found == NULL) {
        *err = PyErr_Occurred() != NULL;
        return NULL;
    }
    return Py_NewRef(found);
}

/* ---- the loop object -------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *reader;
    int state;
    PyObject *claims;
    Py_ssize_t claim_count;
    PyObject *paid_total;
    PyObject *claim_errors;
    PyObject *clp; /* ClpValues tuple, or NULL */
    Py_ssize_t clp_no;
    PyObject *c_adj, *c_people, *c_refs, *c_dates, *c_amts, *c_qtys, *c_remarks, *c_lines,
        *c_errors, *c_groups;
    PyObject *c_cas, *c_line_cas, *c_line_paid, *c_pr;
    PyObject *svc; /* SvcValues tuple, or NULL */
    Py_ssize_t svc_no;
    PyObject *l_adj, *l_refs, *l_amts, *l_qtys, *l_remarks;
    PyObject *l_dates[3];
    PyObject *l_cas;
    PyObject *procedures; /* SVC01 text -> (qualifier, code, modifiers), this loop only */
} ClaimLoop;

/* Replace *slot (owned) with value (stolen); fails when value is NULL. */
static inline int
set_owned(PyObject **slot, PyObject *value)
{
    if (value == NULL)
        return -1;
    Py_XSETREF(*slot, value);
    return 0;
}

/* *total += value (Decimal), keeping the reference in *total. */
static inline int
add_to(PyObject **total, PyObject *value)
{
    return set_owned(total, PyNumber_Add(*total, value));
}

/* tuple(list) for a list of model objects, strings or such tuples: like them it cannot be
 * part of a reference cycle, so the cyclic collector is told not to scan it. */
static PyObject *
frozen_tuple(PyObject *list)
{
    PyObject *t = PyList_AsTuple(list);
    if (t != NULL && PyObject_GC_IsTracked(t))
        PyObject_GC_UnTrack(t);
    return t;
}

static int
clear_list(PyObject *list)
{
    if (PyList_GET_SIZE(list) == 0)
        return 0;
    return PyList_SetSlice(list, 0, PyList_GET_SIZE(list), NULL);
}

static int
extend(PyObject *list, PyObject *items)
{
    return PyList_SetSlice(list, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, items);
}

static PyObject *
balance_error(PyObject *level, PyObject *rule, Py_ssize_t seg_no, PyObject *sid,
              PyObject *element, PyObject *expected, PyObject *found, PyObject *pcn)
{
    PyObject *no = PyLong_FromSsize_t(seg_no);
    if (no == NULL)
        return NULL;
    PyObject *err = PyObject_CallFunctionObjArgs(BalanceError, level, rule, no, sid, element,
                                                 expected, found, pcn, NULL);
    Py_DECREF(no);
    return err;
}

static int
close_line(ClaimLoop *self)
{
    PyObject *svc = self->svc;
    if (svc == NULL)
        return 0;
    self->svc = NULL;
    int rc = -1;
    PyObject *charge = PyTuple_GET_ITEM(svc, 3), *paid = PyTuple_GET_ITEM(svc, 4);
    PyObject *vals[20];
    vals[0] = PyLong_FromSsize_t(self->svc_no);
    for (int k = 0; k < 3; k++)
        vals[1 + k] = Py_NewRef(PyTuple_GET_ITEM(svc, k));
    for (int k = 3; k < 11; k++)
        vals[1 + k] = Py_NewRef(PyTuple_GET_ITEM(svc, k));
    for (int k = 0; k < 3; k++)
        vals[12 + k] = Py_NewRef(self->l_dates[k] ? self->l_dates[k] : Py_None);
    vals[15] = frozen_tuple(self->l_adj);
    vals[16] = frozen_tuple(self->l_refs);
    vals[17] = frozen_tuple(self->l_amts);
    vals[18] = frozen_tuple(self->l_qtys);
    vals[19] = frozen_tuple(self->l_remarks);
    for (int k = 0; k < 20; k++) {
        if (vals[k] == NULL) {
            for (int j = 0; j < 20; j++)
                Py_XDECREF(vals[j]);
            goto done;
        }
    }
    PyObject *line = make(&M_LINE, vals);
    if (line == NULL)
        goto done;
    int appended = PyList_Append(self->c_lines, line);
    Py_DECREF(line);
    if (appended < 0)
        goto done;
    PyObject *expected = PyNumber_Subtract(charge, self->l_cas);
    if (expected == NULL)
        goto done;
    int same = PyObject_RichCompareBool(expected, paid, Py_EQ);
    if (same < 0) {
        Py_DECREF(expected);
        goto done;
    }
    if (!same) {
        PyObject *pcn = self->clp ? PyTuple_GET_ITEM(self->clp, 0) : EMPTY;
        PyObject *err = balance_error(S_line, S_line_balance, self->svc_no, S_SVC, S_SVC03,
                                      expected, paid, pcn);
        if (err == NULL || PyList_Append(self->c_errors, err) < 0) {
            Py_XDECREF(err);
            Py_DECREF(expected);
            goto done;
        }
        Py_DECREF(err);
    }
    Py_DECREF(expected);
    if (add_to(&self->c_line_cas, self->l_cas) < 0 || add_to(&self->c_line_paid, paid) < 0)
        goto done;
    if (clear_list(self->l_adj) < 0 || clear_list(self->l_refs) < 0
        || clear_list(self->l_amts) < 0 || clear_list(self->l_qtys) < 0
        || clear_list(self->l_remarks) < 0)
        goto done;
    for (int k = 0; k < 3; k++)
        Py_CLEAR(self->l_dates[k]);
    Py_SETREF(self->l_cas, Py_NewRef(ZERO));
    rc = 0;
done:
    Py_DECREF(svc);
    return rc;
}

static int
close_claim(ClaimLoop *self)
{
    if (close_line(self) < 0)
        return -1;
    PyObject *clp = self->clp;
    if (clp == NULL)
        return 0;
    self->clp = NULL;
    int rc = -1;
    PyObject *expected = NULL, *from_lines = NULL, *warnings = NULL, *errors = NULL;
    PyObject *pcn = PyTuple_GET_ITEM(clp, 0), *charge = PyTuple_GET_ITEM(clp, 2),
             *paid = PyTuple_GET_ITEM(clp, 3), *patient = PyTuple_GET_ITEM(clp, 4);
    PyObject *partial = PyNumber_Subtract(charge, self->c_cas);
    if (partial == NULL)
        goto done;
    expected = PyNumber_Subtract(partial, self->c_line_cas);
    Py_DECREF(partial);
    if (expected == NULL)
        goto done;
    int same = PyObject_RichCompareBool(expected, paid, Py_EQ);
    if (same < 0)
        goto done;
    if (!same) {
        PyObject *err = balance_error(S_claim, S_claim_balance, self->clp_no, S_CLP, S_CLP04,
                                      expected, paid, pcn);
        if (err == NULL || PyList_Append(self->c_errors, err) < 0) {
            Py_XDECREF(err);
            goto done;
        }
        Py_DECREF(err);
    }
    if (PyList_GET_SIZE(self->c_lines) > 0) {
        from_lines = PyNumber_Subtract(self->c_line_paid, self->c_cas);
        if (from_lines == NULL)
            goto done;
        same = PyObject_RichCompareBool(from_lines, paid, Py_EQ);
        if (same < 0)
            goto done;
        if (!same) {
            PyObject *err = balance_error(S_claim, S_claim_line_payments, self->clp_no, S_CLP,
                                          S_CLP04, from_lines, paid, pcn);
            if (err == NULL || PyList_Append(self->c_errors, err) < 0) {
                Py_XDECREF(err);
                goto done;
            }
            Py_DECREF(err);
        }
    }
    int odd = 0;
    if (patient != Py_None) {
        odd = PyObject_RichCompareBool(patient, self->c_pr, Py_NE);
        if (odd < 0)
            goto done;
    }
    if (!odd) {
        int subset = PyObject_RichCompareBool(self->c_groups, GROUPS_5010, Py_LE);
        if (subset < 0)
            goto done;
        odd = !subset;
    }
    if (odd) {
        PyObject *found = PyObject_CallFunctionObjArgs(claim_warnings, pcn, patient, self->c_pr,
                                                       self->c_groups, NULL);
        if (found == NULL)
            goto done;
        warnings = PySequence_Tuple(found);
        Py_DECREF(found);
        if (warnings == NULL)
            goto done;
        PyObject *shared = PyObject_GetAttr(self->reader, S_warnings);
        if (shared == NULL)
            goto done;
        int extended = extend(shared, warnings);
        Py_DECREF(shared);
        if (extended < 0)
            goto done;
    }
    else {
        warnings = Py_NewRef(EMPTY_TUPLE);
    }
    errors = frozen_tuple(self->c_errors);
    if (errors == NULL)
        goto done;
    PyObject *vals[20];
    vals[0] = PyLong_FromSsize_t(self->clp_no);
    vals[1] = Py_NewRef(pcn);
    for (int k = 1; k < 9; k++)
        vals[1 + k] = Py_NewRef(PyTuple_GET_ITEM(clp, k));
    vals[10] = frozen_tuple(self->c_adj);
    vals[11] = frozen_tuple(self->c_people);
    vals[12] = frozen_tuple(self->c_refs);
    vals[13] = frozen_tuple(self->c_dates);
    vals[14] = frozen_tuple(self->c_amts);
    vals[15] = frozen_tuple(self->c_qtys);
    vals[16] = frozen_tuple(self->c_remarks);
    vals[17] = frozen_tuple(self->c_lines);
    vals[18] = Py_NewRef(errors);
    vals[19] = Py_NewRef(warnings);
    for (int k = 0; k < 20; k++) {
        if (vals[k] == NULL) {
            for (int j = 0; j < 20; j++)
                Py_XDECREF(vals[j]);
            goto done;
        }
    }
    PyObject *claim = make(&M_CLAIM, vals);
    if (claim == NULL)
        goto done;
    int appended = PyList_Append(self->claims, claim);
    Py_DECREF(claim);
    if (appended < 0)
        goto done;
    self->claim_count++;
    if (add_to(&self->paid_total, paid) < 0)
        goto done;
    if (PyList_GET_SIZE(self->c_errors) > 0) {
        if (extend(self->claim_errors, self->c_errors) < 0 || clear_list(self->c_errors) < 0)
            goto done;
    }
    if (clear_list(self->c_adj) < 0 || clear_list(self->c_people) < 0
        || clear_list(self->c_refs) < 0 || clear_list(self->c_dates) < 0
        || clear_list(self->c_amts) < 0 || clear_list(self->c_qtys) < 0
        || clear_list(self->c_remarks) < 0 || clear_list(self->c_lines) < 0
        || PySet_Clear(self->c_groups) < 0)
        goto done;
    Py_SETREF(self->c_cas, Py_NewRef(ZERO));
    Py_SETREF(self->c_line_cas, Py_NewRef(ZERO));
    Py_SETREF(self->c_line_paid, Py_NewRef(ZERO));
    Py_SETREF(self->c_pr, Py_NewRef(ZERO));
    rc = 0;
done:
    Py_XDECREF(expected);
    Py_XDECREF(from_lines);
    Py_XDECREF(warnings);
    Py_XDECREF(errors);
    Py_DECREF(clp);
    return rc;
}

/* ---- one reader per segment: the fast shape, else SegmentReader ----------------------------- */

/* Call reader.<method>(els, seg_no[, extra]) with els = raw.split(elem). */
static PyObject *
call_reader(ClaimLoop *self, PyObject *method, const Seg *g, PyObject *elem, PyObject *seg_no,
            PyObject *extra)
{
    PyObject *els = PyUnicode_Split(g->raw, elem, -1);
    if (els == NULL)
        return NULL;
    PyObject *r = PyObject_CallMethodObjArgs(self->reader, method, els, seg_no, extra, NULL);
    Py_DECREF(els);
    return r;
}

/* reader.<method>(els, seg_no), which must return a tuple of `size` items (new reference). */
static PyObject *
reader_tuple(ClaimLoop *self, PyObject *method, const Seg *g, PyObject *elem, PyObject *seg_no,
             Py_ssize_t size)
{
    PyObject *r = call_reader(self, method, g, elem, seg_no, NULL);
    if (r != NULL && (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != size)) {
        Py_DECREF(r);
        PyErr_Format(PyExc_TypeError, "SegmentReader.%U returned an unexpected value", method);
        return NULL;
    }
    return r;
}

/* The CAS triples in the fast shape: the adjustments tuple, with their total and the
 * interned group in *total and *group_out (new references); NULL + no error = not fast. */
static PyObject *
cas_fast(const Seg *g, PyObject **total, PyObject **group_out)
{
    int n = g->n, err = 0;
    if (g->overflow || n < 4 || n > 20 || is_empty(g, 1))
        return NULL;
    for (int idx = 2; idx < n; idx += 3) {
        if (is_empty(g, idx) || is_empty(g, idx + 1) || !is_empty(g, idx + 2))
            return NULL;
    }
    PyObject *group = interned(g, 1);
    if (group == NULL)
        return NULL;
    PyObject *adjs = PyTuple_New(n / 3); /* triples at 2, 5, 8 ... below n */
    PyObject *sum = NULL;
    if (adjs == NULL)
        goto fail;
    int k = 0;
    for (int idx = 2; idx < n; idx += 3, k++) {
        PyObject *value = amount_of(g, idx + 1, &err);
        if (value == NULL)
            goto fail;
        PyObject *vals[4] = {Py_NewRef(group), interned(g, idx), value, Py_NewRef(Py_None)};
        if (vals[1] == NULL) {
            Py_DECREF(vals[0]);
            Py_DECREF(value);
            Py_DECREF(vals[3]);
            goto fail;
        }
        if (sum == NULL)
            sum = Py_NewRef(value);
        else if (add_to(&sum, value) < 0) {
            for (int j = 0; j < 4; j++)
                Py_DECREF(vals[j]);
            goto fail;
        }
        PyObject *adj = make(&M_ADJUSTMENT, vals);
        if (adj == NULL)
            goto fail;
        PyTuple_SET_ITEM(adjs, k, adj);
    }
    *group_out = group;
    *total = sum;
    return adjs;
fail:
    Py_DECREF(group);
    Py_XDECREF(adjs);
    Py_XDECREF(sum);
    return NULL; /* an error is set, or this was not the fast shape */
}

static int
read_cas(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no)
{
    PyObject *total = NULL, *pr = NULL, *group = NULL;
    PyObject *adjs = cas_fast(g, &total, &group);
    if (adjs != NULL) {
        pr = Py_NewRef(group == S_PR ? total : ZERO); /* both interned */
    }
    else {
        if (PyErr_Occurred())
            return -1;
        PyObject *r = reader_tuple(self, S_cas, g, elem, seg_no, 3);
        if (r == NULL)
            return -1;
        adjs = Py_NewRef(PyTuple_GET_ITEM(r, 0));
        total = Py_NewRef(PyTuple_GET_ITEM(r, 1));
        pr = Py_NewRef(PyTuple_GET_ITEM(r, 2));
        Py_DECREF(r);
        group = text(g, 1);
        if (group == NULL)
            goto fail;
    }
    if (self->state == LINE) {
        if (extend(self->l_adj, adjs) < 0 || add_to(&self->l_cas, total) < 0)
            goto fail;
    }
    else {
        if (extend(self->c_adj, adjs) < 0 || add_to(&self->c_cas, total) < 0)
            goto fail;
    }
    if (PySet_Add(self->c_groups, group) < 0)
        goto fail;
    int nonzero = PyObject_IsTrue(pr);
    if (nonzero < 0 || (nonzero && add_to(&self->c_pr, pr) < 0))
        goto fail;
    Py_DECREF(adjs);
    Py_DECREF(total);
    Py_DECREF(pr);
    Py_DECREF(group);
    return 0;
fail:
    Py_XDECREF(adjs);
    Py_XDECREF(total);
    Py_XDECREF(pr);
    Py_XDECREF(group);
    return -1;
}

static int
read_dtm(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no)
{
    int err = 0;
    PyObject *qualifier = NULL, *date = NULL;
    if (!g->overflow && g->n == 3 && !is_empty(g, 2)) {
        date = date_of(g, 2, &err);
        if (err)
            return -1;
    }
    if (date != NULL) {
        qualifier = interned(g, 1);
        if (qualifier == NULL)
            goto fail;
    }
    else {
        PyObject *r = reader_tuple(self, S_dtm, g, elem, seg_no, 2);
        if (r == NULL)
            return -1;
        qualifier = Py_NewRef(PyTuple_GET_ITEM(r, 0));
        date = Py_NewRef(PyTuple_GET_ITEM(r, 1));
        Py_DECREF(r);
    }
    if (self->state == LINE) {
        int slot = -1;
        if (PyUnicode_CompareWithASCIIString(qualifier, "472") == 0)
            slot = 0;
        else if (PyUnicode_CompareWithASCIIString(qualifier, "150") == 0)
            slot = 1;
        else if (PyUnicode_CompareWithASCIIString(qualifier, "151") == 0)
            slot = 2;
        if (slot >= 0) {
            Py_XSETREF(self->l_dates[slot], date == Py_None ? NULL : Py_NewRef(date));
        }
    }
    else {
        PyObject *pair = PyTuple_Pack(2, qualifier, date);
        if (pair != NULL)
            PyObject_GC_UnTrack(pair); /* a str and a date */
        if (pair == NULL || PyList_Append(self->c_dates, pair) < 0) {
            Py_XDECREF(pair);
            goto fail;
        }
        Py_DECREF(pair);
    }
    Py_DECREF(qualifier);
    Py_DECREF(date);
    return 0;
fail:
    Py_XDECREF(qualifier);
    Py_XDECREF(date);
    return -1;
}

/* A cached quantity for a non-empty element i; NULL + no error = not cached. */
static PyObject *
quantity_or_none(const Seg *g, int i, int *miss)
{
    int err = 0;
    *miss = 0;
    if (is_empty(g, i))
        return Py_NewRef(Py_None);
    PyObject *q = cached(QUANTITIES, g, i, &err);
    if (q == NULL && !err)
        *miss = 1;
    return q;
}

/* SvcValues in the fast shape (new tuple), or NULL: an error is set or it was not fast. */
static PyObject *
svc_fast(ClaimLoop *self, const Seg *g, PyObject *seg_no, Py_UCS4 component)
{
    int err = 0, miss = 0;
    if (g->overflow || g->n < 4 || g->n > 8 || is_empty(g, 1) || !is_empty(g, 6))
        return NULL;
    /* SVC01 with the declared separator: (qualifier, code, modifiers) from the cache */
    int has_component = 0;
    for (Py_ssize_t k = g->start[1]; k < g->end[1]; k++) {
        if (PyUnicode_READ(g->kind, g->data, k) == component) {
            has_component = 1;
            break;
        }
    }
    if (!has_component)
        return NULL;
    PyObject *proc_text = text(g, 1);
    if (proc_text == NULL)
        return NULL;
    PyObject *proc = PyDict_GetItemWithError(self->procedures, proc_text);
    if (proc == NULL) {
        if (PyErr_Occurred()) {
            Py_DECREF(proc_text);
            return NULL;
        }
        if (PyDict_GET_SIZE(self->procedures) >= PROCEDURES_LIMIT)
            PyDict_Clear(self->procedures);
        proc = PyObject_CallMethodObjArgs(self->reader, S_procedure, proc_text, seg_no, NULL);
        if (proc == NULL || !PyTuple_Check(proc) || PyTuple_GET_SIZE(proc) != 3
            || PyDict_SetItem(self->procedures, proc_text, proc) < 0) {
            if (proc != NULL && !PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "unexpected procedure value");
            Py_XDECREF(proc);
            Py_DECREF(proc_text);
            return NULL;
        }
        Py_DECREF(proc); /* the dict holds it */
    }
    Py_DECREF(proc_text);
    if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(proc, 1)) == 0)
        return NULL; /* no procedure code: the reader warns */
    PyObject *charge = amount_of(g, 2, &err);
    if (charge == NULL)
        return NULL;
    PyObject *paid = amount_of(g, 3, &err);
    if (paid == NULL) {
        Py_DECREF(charge);
        return NULL;
    }
    PyObject *units = quantity_or_none(g, 5, &miss);
    if (units == NULL) {
        Py_DECREF(charge);
        Py_DECREF(paid);
        return NULL;
    }
    PyObject *original_units = quantity_or_none(g, 7, &miss);
    if (original_units == NULL) {
        Py_DECREF(charge);
        Py_DECREF(paid);
        Py_DECREF(units);
        return NULL;
    }
    PyObject *revenue = text(g, 4);
    if (revenue == NULL) {
        Py_DECREF(charge);
        Py_DECREF(paid);
        Py_DECREF(units);
        Py_DECREF(original_units);
        return NULL;
    }
    PyObject *values = PyTuple_New(11);
    if (values == NULL) {
        Py_DECREF(charge);
        Py_DECREF(paid);
        Py_DECREF(units);
        Py_DECREF(original_units);
        Py_DECREF(revenue);
        return NULL;
    }
    for (int k = 0; k < 3; k++)
        PyTuple_SET_ITEM(values, k, Py_NewRef(PyTuple_GET_ITEM(proc, k)));
    PyTuple_SET_ITEM(values, 3, charge);
    PyTuple_SET_ITEM(values, 4, paid);
    PyTuple_SET_ITEM(values, 5, revenue);
    PyTuple_SET_ITEM(values, 6, units);
    PyTuple_SET_ITEM(values, 7, Py_NewRef(Py_None));
    PyTuple_SET_ITEM(values, 8, Py_NewRef(Py_None));
    PyTuple_SET_ITEM(values, 9, Py_NewRef(EMPTY_TUPLE));
    PyTuple_SET_ITEM(values, 10, original_units);
    return values;
}

static int
read_svc(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no, Py_ssize_t seg,
         Py_UCS4 component)
{
    PyObject *values = svc_fast(self, g, seg_no, component);
    if (values == NULL) {
        if (PyErr_Occurred())
            return -1;
        values = reader_tuple(self, S_svc, g, elem, seg_no, 11);
        if (values == NULL)
            return -1;
    }
    if (close_line(self) < 0) {
        Py_DECREF(values);
        return -1;
    }
    self->svc = values;
    self->svc_no = seg;
    self->state = LINE;
    return 0;
}

static int
read_ref(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no)
{
    PyObject *ref;
    if (!g->overflow && g->n <= 5) {
        PyObject *vals[2] = {interned(g, 1), text(g, 2)};
        if (vals[0] == NULL || vals[1] == NULL) {
            Py_XDECREF(vals[0]);
            Py_XDECREF(vals[1]);
            return -1;
        }
        ref = make(&M_REFERENCE, vals);
    }
    else {
        ref = call_reader(self, S_ref, g, elem, seg_no, NULL);
    }
    if (ref == NULL)
        return -1;
    int rc = PyList_Append(self->state == LINE ? self->l_refs : self->c_refs, ref);
    Py_DECREF(ref);
    return rc;
}

static int
read_amt(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no)
{
    int err = 0;
    PyObject *amt = NULL;
    if (!g->overflow && (g->n == 3 || g->n == 4)) {
        PyObject *value = amount_of(g, 2, &err);
        if (err)
            return -1;
        if (value != NULL) {
            PyObject *vals[2] = {interned(g, 1), value};
            if (vals[0] == NULL) {
                Py_DECREF(value);
                return -1;
            }
            amt = make(&M_AMOUNT, vals);
            if (amt == NULL)
                return -1;
        }
    }
    if (amt == NULL) {
        amt = call_reader(self, S_amt, g, elem, seg_no, NULL);
        if (amt == NULL)
            return -1;
    }
    int rc = PyList_Append(self->state == LINE ? self->l_amts : self->c_amts, amt);
    Py_DECREF(amt);
    return rc;
}

/* ClpValues in the fast shape (new tuple), or NULL: an error is set or it was not fast. */
static PyObject *
clp_fast(const Seg *g)
{
    int err = 0;
    if (g->overflow || g->n > 15 || is_empty(g, 1) || is_empty(g, 2) || width(g, 1) > 80
        || width(g, 7) > 80)
        return NULL;
    PyObject *charge = amount_of(g, 3, &err);
    if (charge == NULL)
        return NULL;
    PyObject *paid = amount_of(g, 4, &err);
    if (paid == NULL) {
        Py_DECREF(charge);
        return NULL;
    }
    PyObject *patient = Py_NewRef(Py_None);
    if (!is_empty(g, 5)) {
        Py_DECREF(patient);
        patient = amount_of(g, 5, &err);
        if (patient == NULL) {
            Py_DECREF(charge);
            Py_DECREF(paid);
            return NULL;
        }
    }
    PyObject *items[9] = {text(g, 1),    interned(g, 2), charge,         paid,          patient,
                          interned(g, 6), text(g, 7),     interned(g, 8), interned(g, 9)};
    for (int k = 0; k < 9; k++) {
        if (items[k] == NULL) {
            for (int j = 0; j < 9; j++)
                Py_XDECREF(items[j]);
            return NULL;
        }
    }
    PyObject *values = PyTuple_New(9);
    if (values == NULL) {
        for (int j = 0; j < 9; j++)
            Py_DECREF(items[j]);
        return NULL;
    }
    for (int k = 0; k < 9; k++)
        PyTuple_SET_ITEM(values, k, items[k]);
    return values;
}

static int
read_clp(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no, Py_ssize_t seg)
{
    PyObject *values = clp_fast(g);
    if (values == NULL) {
        if (PyErr_Occurred())
            return -1;
        values = reader_tuple(self, S_clp, g, elem, seg_no, 9);
        if (values == NULL)
            return -1;
    }
    if (close_claim(self) < 0) {
        Py_DECREF(values);
        return -1;
    }
    self->clp = values;
    self->clp_no = seg;
    self->state = CLAIM;
    return 0;
}

static int
read_nm1(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no)
{
    PyObject *person;
    if (!g->overflow && g->n <= 13) {
        PyObject *vals[7] = {interned(g, 1), interned(g, 2), text(g, 3), text(g, 4),
                             text(g, 5),     interned(g, 8), text(g, 9)};
        for (int k = 0; k < 7; k++) {
            if (vals[k] == NULL) {
                for (int j = 0; j < 7; j++)
                    Py_XDECREF(vals[j]);
                return -1;
            }
        }
        person = make(&M_PERSON, vals);
    }
    else {
        person = call_reader(self, S_nm1, g, elem, seg_no, NULL);
    }
    if (person == NULL)
        return -1;
    int rc = PyList_Append(self->c_people, person);
    Py_DECREF(person);
    return rc;
}

/* LQ, QTY, MOA/MIA and PER: rare, read by SegmentReader. */
static int
read_rare(ClaimLoop *self, const Seg *g, PyObject *elem, PyObject *seg_no, char which)
{
    PyObject *r;
    int rc = 0;
    switch (which) {
    case 'L':
        r = call_reader(self, S_lq, g, elem, seg_no, NULL);
        if (r == NULL)
            return -1;
        rc = PyList_Append(self->l_remarks, r);
        break;
    case 'Q':
        r = call_reader(self, S_qty, g, elem, seg_no, NULL);
        if (r == NULL)
            return -1;
        rc = PyList_Append(self->state == LINE ? self->l_qtys : self->c_qtys, r);
        break;
    case 'O':
    case 'I':
        r = call_reader(self, S_remark_codes, g, elem, seg_no, which == 'O' ? S_MOA : S_MIA);
        if (r == NULL)
            return -1;
        rc = extend(self->c_remarks, r);
        break;
    default: /* PER */
    {
        PyObject *els = PyUnicode_Split(g->raw, elem, -1);
        if (els == NULL)
            return -1;
        r = PyObject_CallMethodObjArgs(self->reader, S_check_limit, els, seg_no, S_PER, I_NINE,
                                       NULL);
        Py_DECREF(els);
        if (r == NULL)
            return -1;
    }
    }
    Py_DECREF(r);
    return rc;
}

/* What to do with a segment in a state: its reader (a letter), or 0 to leave it to the
 * transaction builder. Mirrors the if/elif chain of ClaimLoop.consume in claimloop.py. */
static char
segment_kind(const Seg *g, int state)
{
    Py_ssize_t n = width(g, 0);
    if (n < 2 || n > 3)
        return 0;
    Py_UCS4 c0 = PyUnicode_READ(g->kind, g->data, g->start[0]);
    Py_UCS4 c1 = PyUnicode_READ(g->kind, g->data, g->start[0] + 1);
    Py_UCS4 c2 = n == 3 ? PyUnicode_READ(g->kind, g->data, g->start[0] + 2) : 0;
#define ID(a, b, c) (c0 == (a) && c1 == (b) && c2 == (c))
    if (state < CLAIM) /* after the payee or an LX: only a claim may start */
        return ID('C', 'L', 'P') ? 'C' : 0;
    switch (c0) {
    case 'C':
        return ID('C', 'A', 'S') ? 'c' : ID('C', 'L', 'P') ? 'C' : 0;
    case 'D':
        return ID('D', 'T', 'M') ? 'D' : 0;
    case 'S':
        return ID('S', 'V', 'C') ? 'S' : 0;
    case 'R':
        return ID('R', 'E', 'F') ? 'R' : 0;
    case 'A':
        return ID('A', 'M', 'T') ? 'A' : 0;
    case 'N':
        return ID('N', 'M', '1') && state == CLAIM ? 'N' : 0;
    case 'L':
        return ID('L', 'Q', 0) && state == LINE ? 'L' : 0;
    case 'Q':
        return ID('Q', 'T', 'Y') ? 'Q' : 0;
    case 'M':
        if (state != CLAIM)
            return 0;
        return ID('M', 'O', 'A') ? 'O' : ID('M', 'I', 'A') ? 'I' : 0;
    case 'P':
        return ID('P', 'E', 'R') && state == CLAIM ? 'P' : 0;
    default:
        return 0;
    }
#undef ID
}

static PyObject *
ClaimLoop_consume(ClaimLoop *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyList_Check(args[0]) || !PyUnicode_Check(args[3])
        || PyUnicode_GET_LENGTH(args[3]) != 1) {
        PyErr_SetString(PyExc_TypeError, "consume(batch: list, start: int, base: int, elem: str)");
        return NULL;
    }
    PyObject *batch = args[0], *elem = args[3];
    Py_ssize_t start = PyLong_AsSsize_t(args[1]);
    Py_ssize_t base = PyLong_AsSsize_t(args[2]);
    if ((start == -1 || base == -1) && PyErr_Occurred())
        return NULL;
    int state = self->state;
    if (state < PAYEE || state == PLB)
        return PyLong_FromSsize_t(start);
    PyObject *component_str = PyObject_GetAttrString(self->reader, "component");
    if (component_str == NULL)
        return NULL;
    if (!PyUnicode_Check(component_str) || PyUnicode_GET_LENGTH(component_str) != 1) {
        Py_DECREF(component_str);
        PyErr_SetString(PyExc_TypeError, "the component separator must be one character");
        return NULL;
    }
    Py_UCS4 component = PyUnicode_READ_CHAR(component_str, 0);
    Py_DECREF(component_str);
    Py_UCS4 sep = PyUnicode_READ_CHAR(elem, 0);
    Py_ssize_t n = PyList_GET_SIZE(batch);
    Py_ssize_t i = start;
    Seg g;
    for (; i < n; i++) {
        PyObject *raw = PyList_GET_ITEM(batch, i);
        if (!PyUnicode_Check(raw)) {
            PyErr_SetString(PyExc_TypeError, "segments must be str");
            return NULL;
        }
        scan(&g, raw, sep);
        char kind = segment_kind(&g, self->state);
        if (!kind)
            break;
        Py_ssize_t seg = base + i + 1;
        PyObject *seg_no = PyLong_FromSsize_t(seg);
        if (seg_no == NULL)
            return NULL;
        int rc;
        switch (kind) {
        case 'c':
            rc = read_cas(self, &g, elem, seg_no);
            break;
        case 'D':
            rc = read_dtm(self, &g, elem, seg_no);
            break;
        case 'S':
            rc = read_svc(self, &g, elem, seg_no, seg, component);
            break;
        case 'R':
            rc = read_ref(self, &g, elem, seg_no);
            break;
        case 'A':
            rc = read_amt(self, &g, elem, seg_no);
            break;
        case 'C':
            rc = read_clp(self, &g, elem, seg_no, seg);
            break;
        case 'N':
            rc = read_nm1(self, &g, elem, seg_no);
            break;
        default:
            rc = read_rare(self, &g, elem, seg_no, kind);
        }
        Py_DECREF(seg_no);
        if (rc < 0)
            return NULL;
    }
    return PyLong_FromSsize_t(i);
}

static PyObject *
ClaimLoop_close_claim(ClaimLoop *self, PyObject *Py_UNUSED(ignored))
{
    if (close_claim(self) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int
ClaimLoop_init(ClaimLoop *self, PyObject *args, PyObject *kwds)
{
    PyObject *reader;
    static char *kwlist[] = {"reader", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O", kwlist, &reader))
        return -1;
    if (self->reader != NULL) {
        PyErr_SetString(PyExc_TypeError, "ClaimLoop is initialised once");
        return -1;
    }
    self->reader = Py_NewRef(reader);
    self->state = START;
    PyObject **lists[] = {&self->claims,   &self->claim_errors, &self->c_adj,   &self->c_people,
                          &self->c_refs,   &self->c_dates,      &self->c_amts,  &self->c_qtys,
                          &self->c_remarks, &self->c_lines,     &self->c_errors, &self->l_adj,
                          &self->l_refs,   &self->l_amts,       &self->l_qtys,  &self->l_remarks};
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        *lists[k] = PyList_New(0);
        if (*lists[k] == NULL)
            return -1;
    }
    self->c_groups = PySet_New(NULL);
    self->procedures = PyDict_New();
    if (self->c_groups == NULL || self->procedures == NULL)
        return -1;
    PyObject **sums[] = {&self->paid_total, &self->c_cas,       &self->c_line_cas,
                         &self->c_line_paid, &self->c_pr,       &self->l_cas};
    for (size_t k = 0; k < sizeof(sums) / sizeof(sums[0]); k++)
        *sums[k] = Py_NewRef(ZERO);
    return 0;
}

static void
ClaimLoop_dealloc(ClaimLoop *self)
{
    Py_XDECREF(self->reader);
    Py_XDECREF(self->claims);
    Py_XDECREF(self->paid_total);
    Py_XDECREF(self->claim_errors);
    Py_XDECREF(self->clp);
    Py_XDECREF(self->c_adj);
    Py_XDECREF(self->c_people);
    Py_XDECREF(self->c_refs);
    Py_XDECREF(self->c_dates);
    Py_XDECREF(self->c_amts);
    Py_XDECREF(self->c_qtys);
    Py_XDECREF(self->c_remarks);
    Py_XDECREF(self->c_lines);
    Py_XDECREF(self->c_errors);
    Py_XDECREF(self->c_groups);
    Py_XDECREF(self->c_cas);
    Py_XDECREF(self->c_line_cas);
    Py_XDECREF(self->c_line_paid);
    Py_XDECREF(self->c_pr);
    Py_XDECREF(self->svc);
    Py_XDECREF(self->l_adj);
    Py_XDECREF(self->l_refs);
    Py_XDECREF(self->l_amts);
    Py_XDECREF(self->l_qtys);
    Py_XDECREF(self->l_remarks);
    for (int k = 0; k < 3; k++)
        Py_XDECREF(self->l_dates[k]);
    Py_XDECREF(self->l_cas);
    Py_XDECREF(self->procedures);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
ClaimLoop_get_claims(ClaimLoop *self, void *Py_UNUSED(closure))
{
    return Py_NewRef(self->claims);
}

static int
ClaimLoop_set_claims(ClaimLoop *self, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL || !PyList_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "claims must be a list");
        return -1;
    }
    Py_SETREF(self->claims, Py_NewRef(value));
    return 0;
}

static PyObject *
ClaimLoop_get_claim_count(ClaimLoop *self, void *Py_UNUSED(closure))
{
    return PyLong_FromSsize_t(self->claim_count);
}

static PyGetSetDef ClaimLoop_getset[] = {
    {"claims", (getter)ClaimLoop_get_claims, (setter)ClaimLoop_set_claims,
     "Closed claims not yet taken.", NULL},
    {"claim_count", (getter)ClaimLoop_get_claim_count, NULL, "Claims closed so far.", NULL},
    {NULL},
};

static PyMemberDef ClaimLoop_members[] = {
    {"state", T_INT, offsetof(ClaimLoop, state), 0, "The transaction's loop state."},
    {"reader", T_OBJECT_EX, offsetof(ClaimLoop, reader), READONLY, "The SegmentReader."},
    {"paid_total", T_OBJECT_EX, offsetof(ClaimLoop, paid_total), READONLY,
     "Sum of CLP04 of the claims closed so far."},
    {"claim_errors", T_OBJECT_EX, offsetof(ClaimLoop, claim_errors), READONLY,
     "Line and claim balance errors, in claim order."},
    {NULL},
};

static PyMethodDef ClaimLoop_methods[] = {
    {"consume", (PyCFunction)(void (*)(void))ClaimLoop_consume, METH_FASTCALL,
     "consume(batch, start, base, elem) -> index of the first segment not taken"},
    {"close_claim", (PyCFunction)ClaimLoop_close_claim, METH_NOARGS,
     "Close the open service line and claim, if any."},
    {NULL},
};

static PyTypeObject ClaimLoopType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "connector.sources.era._claimloop.ClaimLoop",
    .tp_doc = "The claim loops of one transaction set (see claimloop.ClaimLoop).",
    .tp_basicsize = sizeof(ClaimLoop),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ClaimLoop_init,
    .tp_dealloc = (destructor)ClaimLoop_dealloc,
    .tp_methods = ClaimLoop_methods,
    .tp_members = ClaimLoop_members,
    .tp_getset = ClaimLoop_getset,
};

/* ---- module ----------------------------------------------------------------------------- */

static int
intern_names(void)
{
    struct {
        PyObject **slot;
        const char *text;
    } names[] = {
        {&S_cas, "cas"},
        {&S_dtm, "dtm"},
        {&S_svc, "svc"},
        {&S_ref, "ref"},
        {&S_amt, "amt"},
        {&S_clp, "clp"},
        {&S_nm1, "nm1"},
        {&S_lq, "lq"},
        {&S_qty, "qty"},
        {&S_remark_codes, "remark_codes"},
        {&S_check_limit, "check_limit"},
        {&S_procedure, "procedure"},
        {&S_warnings, "warnings"},
        {&S_PER, "PER"},
        {&S_MOA, "MOA"},
        {&S_MIA, "MIA"},
        {&S_line, "line"},
        {&S_claim, "claim"},
        {&S_line_balance, "line_balance"},
        {&S_claim_balance, "claim_balance"},
        {&S_claim_line_payments, "claim_line_payments"},
        {&S_SVC, "SVC"},
        {&S_CLP, "CLP"},
        {&S_SVC03, "SVC03"},
        {&S_CLP04, "CLP04"},
        {&S_PR, "PR"},
        {&EMPTY, ""},
    };
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        *names[k].slot = PyUnicode_InternFromString(names[k].text);
        if (*names[k].slot == NULL)
            return -1;
    }
    I_NINE = PyLong_FromLong(9);
    EMPTY_TUPLE = PyTuple_New(0);
    return (I_NINE == NULL || EMPTY_TUPLE == NULL) ? -1 : 0;
}

static PyObject *
attr_of(const char *module_name, const char *name)
{
    PyObject *module = PyImport_ImportModule(module_name);
    if (module == NULL)
        return NULL;
    PyObject *value = PyObject_GetAttrString(module, name);
    Py_DECREF(module);
    return value;
}

static struct PyModuleDef claimloop_module = {
    PyModuleDef_HEAD_INIT, "_claimloop",
    "The 835 claim loops in C (see connector.sources.era.claimloop).", -1, NULL,
};

PyMODINIT_FUNC
PyInit__claimloop(void)
{
    if (intern_names() < 0)
        return NULL;
    PyObject *model = PyImport_ImportModule("connector.sources.era.model");
    if (model == NULL)
        return NULL;
    int failed = model_init(&M_ADJUSTMENT, model, "Adjustment", 4) < 0
                 || model_init(&M_REFERENCE, model, "Reference", 2) < 0
                 || model_init(&M_AMOUNT, model, "MonetaryAmount", 2) < 0
                 || model_init(&M_PERSON, model, "Person", 7) < 0
                 || model_init(&M_LINE, model, "ServiceLine", 20) < 0
                 || model_init(&M_CLAIM, model, "ClaimPayment", 20) < 0;
    if (!failed) {
        BalanceError = PyObject_GetAttrString(model, "BalanceError");
        ZERO = PyObject_GetAttrString(model, "ZERO");
        failed = BalanceError == NULL || ZERO == NULL;
        if (!failed)
            DecimalType = Py_NewRef((PyObject *)Py_TYPE(ZERO));
    }
    Py_DECREF(model);
    if (failed)
        return NULL;
    AMOUNTS = attr_of("connector.sources.era.values", "AMOUNTS");
    DATES = attr_of("connector.sources.era.values", "DATES");
    QUANTITIES = attr_of("connector.sources.era.values", "QUANTITIES");
    GROUPS_5010 = attr_of("connector.sources.era.validate", "GROUPS_5010");
    claim_warnings = attr_of("connector.sources.era.validate", "claim_warnings");
    if (AMOUNTS == NULL || DATES == NULL || QUANTITIES == NULL || GROUPS_5010 == NULL
        || claim_warnings == NULL)
        return NULL;
    if (!PyDict_CheckExact(AMOUNTS) || !PyDict_CheckExact(DATES)
        || !PyDict_CheckExact(QUANTITIES)) {
        PyErr_SetString(PyExc_ImportError, "the value caches must be dicts");
        return NULL;
    }
    if (PyType_Ready(&ClaimLoopType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&claimloop_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "ClaimLoop", (PyObject *)&ClaimLoopType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
