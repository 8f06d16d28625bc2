/* split_segments in C: the same result as connector.sources.era.tokenizer.split_segments.
 *
 * split_segments(text, term, elem, strip_newlines) -> (segments + [rest], iea_index)
 *
 * One pass over the text instead of the Python version's replace, replace, split and
 * empty-segment scan: every CR is dropped (and every LF when strip_newlines), the text is cut
 * at each terminator, empty segments are dropped; the last list item is the unfinished rest
 * (kept even when empty). iea_index is the index of the first segment that is "IEA" or starts
 * with "IEA" + elem, or -1. A CR (or LF) is dropped before it could count as a terminator,
 * as in the Python version, which removes them first.
 *
 * Built by `make era-fast` (setup.py); tests/sources/era/test_tokenizer.py compares it with
 * the Python version on hypothesis-built texts.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Is the span (already without CR/LF) "IEA" or "IEA" + elem...? Reads the kept characters. */
static int
is_iea(const Py_UCS4 *kept, Py_ssize_t n, Py_UCS4 elem)
{
    if (n < 3 || kept[0] != 'I' || kept[1] != 'E' || kept[2] != 'A')
        return 0;
    return n == 3 || kept[3] == elem;
}

static int
append(PyObject *list, PyObject *item)
{
    if (item == NULL)
        return -1;
    int rc = PyList_Append(list, item);
    Py_DECREF(item);
    return rc;
}

static int
dropped(Py_UCS4 c, int drop_lf)
{
    return c == '\r' || (drop_lf && c == '\n');
}

/* The common case: a one-byte string and a terminator that is not itself dropped. memchr
 * finds each terminator; the CR/LF usually written right after it is skipped at the start of
 * the next segment, and only a segment with CR/LF inside (wrapped lines) is copied. */
static int
split_one_byte(PyObject *text, const Py_UCS1 *p, Py_ssize_t len, Py_UCS1 term, Py_UCS1 elem,
               int drop_lf, PyObject *segments, Py_ssize_t *iea_at)
{
    Py_UCS1 *copy = NULL;
    Py_ssize_t start = 0;
    while (1) {
        const Py_UCS1 *hit = memchr(p + start, term, (size_t)(len - start));
        Py_ssize_t end = hit ? hit - p : len;
        Py_ssize_t s = start;
        while (s < end && dropped(p[s], drop_lf))
            s++;
        const Py_UCS1 *kept = p + s;
        Py_ssize_t n = end - s;
        int inner = memchr(p + s, '\r', (size_t)n) != NULL
                    || (drop_lf && memchr(p + s, '\n', (size_t)n) != NULL);
        PyObject *item;
        if (!inner) {
            item = PyUnicode_Substring(text, s, end);
        }
        else {
            if (copy == NULL) {
                copy = PyMem_Malloc((size_t)len + 1);
                if (copy == NULL) {
                    PyErr_NoMemory();
                    return -1;
                }
            }
            n = 0;
            for (Py_ssize_t k = s; k < end; k++)
                if (!dropped(p[k], drop_lf))
                    copy[n++] = p[k];
            kept = copy;
            item = PyUnicode_FromKindAndData(PyUnicode_1BYTE_KIND, copy, n);
        }
        if (item == NULL) {
            PyMem_Free(copy);
            return -1;
        }
        if (hit == NULL || n > 0) {
            if (hit != NULL && *iea_at < 0 && n >= 3 && kept[0] == 'I' && kept[1] == 'E'
                && kept[2] == 'A' && (n == 3 || kept[3] == elem))
                *iea_at = PyList_GET_SIZE(segments);
            if (append(segments, item) < 0) {
                PyMem_Free(copy);
                return -1;
            }
        }
        else {
            Py_DECREF(item);
        }
        if (hit == NULL)
            break;
        start = end + 1;
    }
    PyMem_Free(copy);
    return 0;
}

static PyObject *
split_segments(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])
        || !PyUnicode_Check(args[2]) || PyUnicode_GET_LENGTH(args[1]) != 1
        || PyUnicode_GET_LENGTH(args[2]) != 1) {
        PyErr_SetString(PyExc_TypeError,
                        "split_segments(text: str, term: str (1 char), elem: str (1 char), "
                        "strip_newlines: bool)");
        return NULL;
    }
    PyObject *text = args[0];
    Py_UCS4 term = PyUnicode_READ_CHAR(args[1], 0);
    Py_UCS4 elem = PyUnicode_READ_CHAR(args[2], 0);
    int drop_lf = PyObject_IsTrue(args[3]);
    if (drop_lf < 0)
        return NULL;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    Py_ssize_t iea_at = -1;
    PyObject *segments = PyList_New(0);
    if (segments == NULL)
        return NULL;
    if (kind == PyUnicode_1BYTE_KIND && term < 256 && elem < 256 && !dropped(term, drop_lf)) {
        if (split_one_byte(text, data, len, (Py_UCS1)term, (Py_UCS1)elem, drop_lf, segments,
                           &iea_at) < 0) {
            Py_DECREF(segments);
            return NULL;
        }
        return Py_BuildValue("(Nn)", segments, iea_at);
    }
    /* any other string: one character at a time */
    Py_UCS4 *kept = PyMem_New(Py_UCS4, (size_t)len + 1);
    if (kept == NULL) {
        Py_DECREF(segments);
        return PyErr_NoMemory();
    }
    Py_ssize_t start = 0;
    while (1) {
        /* the end of this segment: the next terminator that is not a dropped character */
        Py_ssize_t end = start;
        Py_ssize_t n = 0; /* characters kept, copied into kept[] */
        int at_term = 0;
        for (; end < len; end++) {
            Py_UCS4 c = PyUnicode_READ(kind, data, end);
            if (dropped(c, drop_lf))
                continue;
            if (c == term) {
                at_term = 1;
                break;
            }
            kept[n++] = c;
        }
        if (!at_term) { /* the unfinished rest */
            PyObject *rest = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, kept, n);
            if (rest == NULL || PyList_Append(segments, rest) < 0) {
                Py_XDECREF(rest);
                goto fail;
            }
            Py_DECREF(rest);
            break;
        }
        if (n > 0) {
            PyObject *segment = n == end - start
                                    ? PyUnicode_Substring(text, start, end)
                                    : PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, kept, n);
            if (segment == NULL || PyList_Append(segments, segment) < 0) {
                Py_XDECREF(segment);
                goto fail;
            }
            Py_DECREF(segment);
            if (iea_at < 0 && is_iea(kept, n, elem))
                iea_at = PyList_GET_SIZE(segments) - 1;
        }
        start = end + 1;
    }
    PyMem_Free(kept);
    return Py_BuildValue("(Nn)", segments, iea_at);
fail:
    PyMem_Free(kept);
    Py_DECREF(segments);
    return NULL;
}

static PyMethodDef segsplit_methods[] = {
    {"split_segments", (PyCFunction)(void (*)(void))split_segments, METH_FASTCALL,
     "split_segments(text, term, elem, strip_newlines) -> (segments + [rest], iea_index)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef segsplit_module = {
    PyModuleDef_HEAD_INIT, "_segsplit",
    "X12 segment splitting in C (see connector.sources.era.tokenizer.split_segments).", -1,
    segsplit_methods,
};

PyMODINIT_FUNC
PyInit__segsplit(void)
{
    return PyModule_Create(&segsplit_module);
}
