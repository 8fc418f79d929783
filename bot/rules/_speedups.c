/*
 * Compiled versions of the two inner loops of matching many digests at once.
 *
 * `find_terms` is the scan of `bot.rules.keys.KeyTable.find`. It walks the words of one
 * text as the Python method does and confirms terms in the same tables, so the two find
 * the same terms. The tables stay Python objects owned by the KeyTable (a field is a bit
 * of `FIELD_BITS`):
 *
 *   known          dict: word -> tuple of the ids of the terms the word holds on its own,
 *                  filled as words are met
 *   entries        dict: key -> tuple of (term id, field, stem length, word starts)
 *   prefixes       dict: key of a prefix term -> tuple of (term id, field, key, word starts)
 *   prefix_lengths sorted list of the lengths of the keys in `prefixes`
 *   prefix_starts  dict: start of a prefix key -> tuple of (term id, field, key, word starts)
 *
 * Where the Python scan binary-searches the sorted keys to decide whether to join one
 * more word, this one checks a Bloom filter (`build_filter`) of every start of every key.
 * The filter also contains the whole keys and the prefix starts, so that most strings that
 * are in no table are never built. A false positive costs one lookup that finds nothing.
 *
 * `gather_keys` is the gathering of `RuleIndex._clause_keys`: the digest keys posted
 * under the terms found in a paper.
 *
 * The Python steps run where this module is not built, and the tests compare the two.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The gap after a word: whether a phrase may run across it, and whether it is one hyphen,
 * the only gap allowed inside a word of a term. */
enum { GAP_BREAKS, GAP_JOINS, GAP_HYPHEN };

typedef struct {
    PyObject *words;    /* list of str: the runs of letters and digits of the text */
    unsigned char *gap; /* per word, the kind of gap after it */
    Py_ssize_t count;
    long fields;      /* the bits of the fields searched (`FIELD_BITS`) */
    PyObject *found;  /* set of term ids, filled here */
} Text;

/* The characters of a word, as in `[^\W_]` of Python's re module for str patterns. */
static inline int
is_word_char(Py_UCS4 ch)
{
    if (ch < 128)
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
    return Py_UNICODE_ISALNUM(ch);
}

/* Split `folded` into its words and the kinds of gaps after them, as `split_text` does.
 * Return 0, or -1 with an exception set. */
static int
split_words(PyObject *folded, Text *text)
{
    int kind = PyUnicode_KIND(folded);
    const void *data = PyUnicode_DATA(folded);
    Py_ssize_t length = PyUnicode_GET_LENGTH(folded);
    text->words = PyList_New(0);
    text->gap = PyMem_Malloc(length / 2 + 1);
    text->count = 0;
    if (text->words == NULL || text->gap == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t index = 0;
    while (index < length) {
        while (index < length && !is_word_char(PyUnicode_READ(kind, data, index)))
            index++;
        if (index == length)
            break;
        Py_ssize_t start = index;
        while (index < length && is_word_char(PyUnicode_READ(kind, data, index)))
            index++;
        PyObject *word = PyUnicode_Substring(folded, start, index);
        if (word == NULL || PyList_Append(text->words, word) < 0) {
            Py_XDECREF(word);
            return -1;
        }
        Py_DECREF(word);
        Py_ssize_t gap_start = index;
        int joins = 1;
        while (index < length && !is_word_char(PyUnicode_READ(kind, data, index))) {
            Py_UCS4 ch = PyUnicode_READ(kind, data, index);
            joins = joins && (ch == ' ' || ch == '-' || ch == '/');
            index++;
        }
        int hyphen = index - gap_start == 1 && PyUnicode_READ(kind, data, gap_start) == '-';
        unsigned char gap = GAP_BREAKS;
        if (hyphen)
            gap = GAP_HYPHEN;
        else if (joins)
            gap = GAP_JOINS;
        text->gap[text->count++] = gap;
    }
    return 0;
}

/* Whether each gap between words first..last falls on a word start of the term, or is one
 * hyphen inside a term word before `stem_length`: 1 when allowed, 0 when not, -1 on error. */
static int
gaps_allowed(const Text *text, Py_ssize_t first, Py_ssize_t last, Py_ssize_t stem_length,
             PyObject *starts)
{
    Py_ssize_t offset = 0;
    for (Py_ssize_t index = first; index < last; index++) {
        offset += PyUnicode_GET_LENGTH(PyList_GET_ITEM(text->words, index));
        int at_start = 0;
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(starts); k++) {
            Py_ssize_t value = PyLong_AsSsize_t(PyTuple_GET_ITEM(starts, k));
            if (value == -1 && PyErr_Occurred())
                return -1;
            if (value == offset) {
                at_start = 1;
                break;
            }
        }
        if (at_start)
            continue;
        if (offset >= stem_length)
            return 0;
        if (text->gap[index] != GAP_HYPHEN)
            return 0;
    }
    return 1;
}

/* Return 1 when a term of `term_id` and the field bit `field` is still to be found in
 * this text, 0 when not, -1 on error. */
static int
wanted(const Text *text, PyObject *term_id, PyObject *field)
{
    long bit = PyLong_AsLong(field);
    if (bit == -1 && PyErr_Occurred())
        return -1;
    if (!(bit & text->fields))
        return 0;
    int seen = PySet_Contains(text->found, term_id);
    return seen < 0 ? -1 : !seen;
}

/* Return 0 when `entries` is a tuple of entries of 4 items whose last is a tuple (the
 * word starts), else -1 with a TypeError. The rest is checked where it is read. */
static int
check_entries(PyObject *entries)
{
    int valid = PyTuple_Check(entries);
    for (Py_ssize_t i = 0; valid && i < PyTuple_GET_SIZE(entries); i++) {
        PyObject *entry = PyTuple_GET_ITEM(entries, i);
        valid = PyTuple_Check(entry) && PyTuple_GET_SIZE(entry) == 4 &&
                PyTuple_Check(PyTuple_GET_ITEM(entry, 3));
    }
    if (valid)
        return 0;
    PyErr_SetString(PyExc_TypeError, "key entries must be tuples of 4-item tuples");
    return -1;
}

/* Confirm the terms under the key spelled by words first..last (see `_confirm`). */
static int
confirm(const Text *text, PyObject *hit, Py_ssize_t first, Py_ssize_t last)
{
    if (check_entries(hit) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(hit); i++) {
        PyObject *entry = PyTuple_GET_ITEM(hit, i);
        PyObject *term_id = PyTuple_GET_ITEM(entry, 0);
        int open = wanted(text, term_id, PyTuple_GET_ITEM(entry, 1));
        if (open <= 0) {
            if (open < 0)
                return -1;
            continue;
        }
        int allowed = 1;
        if (first != last) {
            Py_ssize_t stem_length = PyLong_AsSsize_t(PyTuple_GET_ITEM(entry, 2));
            if (stem_length == -1 && PyErr_Occurred())
                return -1;
            allowed = gaps_allowed(text, first, last, stem_length, PyTuple_GET_ITEM(entry, 3));
        }
        if (allowed < 0 || (allowed && PySet_Add(text->found, term_id) < 0))
            return -1;
    }
    return 0;
}

/* Return words first..last joined without separators, followed by `extra` unless it is
 * 0, or NULL on error. */
static PyObject *
joined_words(const Text *text, Py_ssize_t first, Py_ssize_t last, Py_UCS4 extra)
{
    Py_ssize_t length = extra ? 1 : 0;
    Py_UCS4 max_char = extra;
    for (Py_ssize_t index = first; index <= last; index++) {
        PyObject *word = PyList_GET_ITEM(text->words, index);
        length += PyUnicode_GET_LENGTH(word);
        Py_UCS4 word_max = PyUnicode_MAX_CHAR_VALUE(word);
        if (word_max > max_char)
            max_char = word_max;
    }
    PyObject *joined = PyUnicode_New(length, max_char);
    if (joined == NULL)
        return NULL;
    Py_ssize_t offset = 0;
    for (Py_ssize_t index = first; index <= last; index++) {
        PyObject *word = PyList_GET_ITEM(text->words, index);
        Py_ssize_t size = PyUnicode_GET_LENGTH(word);
        if (PyUnicode_CopyCharacters(joined, offset, word, 0, size) < 0) {
            Py_DECREF(joined);
            return NULL;
        }
        offset += size;
    }
    if (extra)
        PyUnicode_WRITE(PyUnicode_KIND(joined), PyUnicode_DATA(joined), offset, extra);
    return joined;
}

/* Confirm the prefix terms that may end inside word `last` (see `_confirm_prefixes`). */
static int
confirm_prefixes(const Text *text, PyObject *entries, Py_ssize_t first, Py_ssize_t last)
{
    if (check_entries(entries) < 0)
        return -1;
    PyObject *joined = joined_words(text, first, last, 0);
    if (joined == NULL)
        return -1;
    int status = 0;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(entries) && status == 0; i++) {
        PyObject *entry = PyTuple_GET_ITEM(entries, i);
        PyObject *term_id = PyTuple_GET_ITEM(entry, 0);
        PyObject *key = PyTuple_GET_ITEM(entry, 2);
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "the key of a prefix entry must be a str");
            status = -1;
            continue;
        }
        int open = wanted(text, term_id, PyTuple_GET_ITEM(entry, 1));
        if (open <= 0) {
            status = open;
            continue;
        }
        Py_ssize_t starts_with = PyUnicode_Tailmatch(joined, key, 0, PY_SSIZE_T_MAX, -1);
        if (starts_with <= 0) {
            status = (int)starts_with;
            continue;
        }
        int allowed = gaps_allowed(
            text, first, last, PyUnicode_GET_LENGTH(key), PyTuple_GET_ITEM(entry, 3));
        if (allowed < 0 || (allowed && PySet_Add(text->found, term_id) < 0))
            status = -1;
    }
    Py_DECREF(joined);
    return status;
}

/* Hashing for the filter: 64-bit FNV-1a over code points, then a final mix (from
 * SplitMix64) so that the filter's bit positions come from well-spread bits. */
#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
/* Each set in the filter has its own salt, mixed into the final hash. */
#define SALT_PREFIX 0x9e3779b97f4a7c15ULL     /* every start of a key, the whole key included */
#define SALT_KEY 0xc2b2ae3d27d4eb4fULL        /* every whole key of a non-prefix term */
#define SALT_PREFIX_START 0x165667b19e3779f9ULL /* every start of 2+ characters of a prefix key */

static inline uint64_t
fnv_char(uint64_t state, Py_UCS4 ch)
{
    return (state ^ (uint64_t)ch) * FNV_PRIME;
}

static uint64_t
fnv_word(uint64_t state, PyObject *word)
{
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    Py_ssize_t length = PyUnicode_GET_LENGTH(word);
    for (Py_ssize_t i = 0; i < length; i++)
        state = fnv_char(state, PyUnicode_READ(kind, data, i));
    return state;
}

static inline uint64_t
mix(uint64_t value)
{
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

/* A blocked Bloom filter: each string sets FILTER_PROBES bits inside one 64-byte block,
 * so that a check reads one cache line. */
#define FILTER_BLOCK_BITS 512
#define FILTER_PROBES 4

typedef struct {
    unsigned char *bits;
    uint64_t blocks; /* the number of blocks, a power of two */
} Filter;

static void
filter_add(Filter *filter, uint64_t state, uint64_t salt)
{
    uint64_t hash = mix(state ^ salt);
    unsigned char *block = filter->bits + (hash & (filter->blocks - 1)) * (FILTER_BLOCK_BITS / 8);
    hash >>= 32;
    for (int probe = 0; probe < FILTER_PROBES; probe++, hash >>= 8) {
        unsigned bit = (unsigned)(hash & (FILTER_BLOCK_BITS - 1));
        block[bit >> 3] |= (unsigned char)(1u << (bit & 7));
    }
}

/* Return 1 when the string hashed to `state` may be in the set of `salt`, 0 when it is not. */
static int
filter_has(const Filter *filter, uint64_t state, uint64_t salt)
{
    uint64_t hash = mix(state ^ salt);
    const unsigned char *block =
        filter->bits + (hash & (filter->blocks - 1)) * (FILTER_BLOCK_BITS / 8);
    hash >>= 32;
    for (int probe = 0; probe < FILTER_PROBES; probe++, hash >>= 8) {
        unsigned bit = (unsigned)(hash & (FILTER_BLOCK_BITS - 1));
        if (!(block[bit >> 3] & (1u << (bit & 7))))
            return 0;
    }
    return 1;
}

/* Look up the string `text` words first..last spell, followed by `extra` unless it is 0,
 * in `table`; confirm the entries found there. */
static int
look_up(const Text *text, PyObject *table, Py_ssize_t first, Py_ssize_t last, Py_UCS4 extra)
{
    PyObject *key = joined_words(text, first, last, extra);
    if (key == NULL)
        return -1;
    PyObject *hit = PyDict_GetItemWithError(table, key);
    Py_DECREF(key);
    if (hit == NULL)
        return PyErr_Occurred() ? -1 : 0;
    return extra ? confirm_prefixes(text, hit, first, last + 1) : confirm(text, hit, first, last);
}

/* Join the words after `first` while some key can still be spelled (see `KeyTable._join`).
 * The filter rules out most strings without building them; those it lets through are
 * looked up in the tables, which decide. */
static int
join_from(const Text *text, Py_ssize_t first, uint64_t state, PyObject *entries,
          PyObject *prefix_starts, const Filter *filter, Py_ssize_t max_length)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(PyList_GET_ITEM(text->words, first));
    int with_prefixes = PyDict_GET_SIZE(prefix_starts) > 0;
    Py_ssize_t last = first;
    while (1) {
        PyObject *following = PyList_GET_ITEM(text->words, last + 1);
        Py_UCS4 initial = PyUnicode_READ_CHAR(following, 0);
        if (with_prefixes && filter_has(filter, fnv_char(state, initial), SALT_PREFIX_START) &&
            look_up(text, prefix_starts, first, last, initial) < 0)
            return -1;
        last += 1;
        state = fnv_word(state, following);
        length += PyUnicode_GET_LENGTH(following);
        if (filter_has(filter, state, SALT_KEY) && look_up(text, entries, first, last, 0) < 0)
            return -1;
        if (last + 1 == text->count || length >= max_length)
            return 0;
        if (text->gap[last] == GAP_BREAKS)
            return 0;
        initial = PyUnicode_READ_CHAR(PyList_GET_ITEM(text->words, last + 1), 0);
        if (!filter_has(filter, fnv_char(state, initial), SALT_PREFIX))
            return 0;
    }
}

/* Append to `ids` the term ids of the entries whose field is among `fields`. */
static int
append_ids(PyObject *ids, PyObject *entries, long fields)
{
    if (check_entries(entries) < 0)
        return -1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(entries); i++) {
        PyObject *entry = PyTuple_GET_ITEM(entries, i);
        long bit = PyLong_AsLong(PyTuple_GET_ITEM(entry, 1));
        if (bit == -1 && PyErr_Occurred())
            return -1;
        if ((bit & fields) && PyList_Append(ids, PyTuple_GET_ITEM(entry, 0)) < 0)
            return -1;
    }
    return 0;
}

/* Return a new reference to the tuple of the ids of the terms `word` holds on its own:
 * those whose key is the word, and the prefix terms whose key starts it. Remember it in
 * `known`, which is emptied when it reaches `known_limit` words (see `KeyTable._learn`). */
static PyObject *
learn_word(PyObject *word, long fields, PyObject *known, Py_ssize_t known_limit,
           PyObject *entries, PyObject *prefixes, PyObject *prefix_lengths)
{
    PyObject *ids = PyList_New(0);
    if (ids == NULL)
        return NULL;
    PyObject *hit = PyDict_GetItemWithError(entries, word);
    if ((hit == NULL && PyErr_Occurred()) || (hit != NULL && append_ids(ids, hit, fields) < 0))
        goto error;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(prefix_lengths); i++) {
        Py_ssize_t length = PyLong_AsSsize_t(PyList_GET_ITEM(prefix_lengths, i));
        if (length == -1 && PyErr_Occurred())
            goto error;
        if (length > PyUnicode_GET_LENGTH(word))
            break;
        PyObject *start = PyUnicode_Substring(word, 0, length);
        if (start == NULL)
            goto error;
        hit = PyDict_GetItemWithError(prefixes, start);
        Py_DECREF(start);
        if ((hit == NULL && PyErr_Occurred()) || (hit != NULL && append_ids(ids, hit, fields) < 0))
            goto error;
    }
    PyObject *alone = PyList_AsTuple(ids);
    Py_DECREF(ids);
    if (alone == NULL)
        return NULL;
    if (PyDict_GET_SIZE(known) >= known_limit)
        PyDict_Clear(known);
    if (PyDict_SetItem(known, word, alone) < 0) {
        Py_DECREF(alone);
        return NULL;
    }
    return alone;
error:
    Py_DECREF(ids);
    return NULL;
}

static PyObject *
find_terms(PyObject *Py_UNUSED(module), PyObject *args)
{
    Text text = {NULL, NULL, 0, 0, NULL};
    PyObject *folded, *known, *entries, *prefixes, *prefix_lengths, *prefix_starts;
    Py_ssize_t known_limit, max_length;
    Py_buffer bits;
    if (!PyArg_ParseTuple(args, "UlO!O!nO!O!O!O!y*n", &folded, &text.fields, &PySet_Type,
                          &text.found, &PyDict_Type, &known, &known_limit, &PyDict_Type,
                          &entries, &PyDict_Type, &prefixes, &PyList_Type, &prefix_lengths,
                          &PyDict_Type, &prefix_starts, &bits, &max_length))
        return NULL;
    Filter filter = {(unsigned char *)bits.buf, (uint64_t)bits.len / (FILTER_BLOCK_BITS / 8)};
    PyObject *result = NULL;
    if (bits.len < FILTER_BLOCK_BITS / 8 || (bits.len & (bits.len - 1))) {
        PyErr_SetString(PyExc_ValueError, "the filter must be a power of two blocks of 64 bytes");
        goto done;
    }
    if (split_words(folded, &text) < 0)
        goto done;
    for (Py_ssize_t first = 0; first < text.count; first++) {
        PyObject *word = PyList_GET_ITEM(text.words, first);
        PyObject *ids = PyDict_GetItemWithError(known, word);
        PyObject *learned = NULL;
        if (ids == NULL) {
            if (PyErr_Occurred())
                goto done;
            ids = learned = learn_word(word, text.fields, known, known_limit, entries, prefixes,
                                       prefix_lengths);
            if (ids == NULL)
                goto done;
        }
        if (!PyTuple_Check(ids)) {
            Py_XDECREF(learned);
            PyErr_SetString(PyExc_TypeError, "the term ids of a word must be a tuple");
            goto done;
        }
        int status = 0;
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ids) && status == 0; i++)
            status = PySet_Add(text.found, PyTuple_GET_ITEM(ids, i));
        Py_XDECREF(learned);
        if (status < 0)
            goto done;
        if (first + 1 == text.count || text.gap[first] == GAP_BREAKS)
            continue;
        uint64_t state = fnv_word(FNV_OFFSET, word);
        Py_UCS4 next = PyUnicode_READ_CHAR(PyList_GET_ITEM(text.words, first + 1), 0);
        if (filter_has(&filter, fnv_char(state, next), SALT_PREFIX))
            status = join_from(&text, first, state, entries, prefix_starts, &filter, max_length);
        if (status < 0)
            goto done;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(text.words);
    PyMem_Free(text.gap);
    PyBuffer_Release(&bits);
    return result;
}

/* Add every item of the tuple `keys` to `selected`. */
static int
add_all(PyObject *selected, PyObject *keys)
{
    if (!PyTuple_Check(keys)) {
        PyErr_SetString(PyExc_TypeError, "postings must be tuples");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(keys); i++) {
        if (PySet_Add(selected, PyTuple_GET_ITEM(keys, i)) < 0)
            return -1;
    }
    return 0;
}

/* Add the keys posted under each found term that is also a key of `others`. */
static int
add_found_pairs(PyObject *selected, PyObject *found, PyObject *others)
{
    if (!PyDict_Check(others)) {
        PyErr_SetString(PyExc_TypeError, "pair postings must be dicts");
        return -1;
    }
    /* Walk the smaller of the two and look its items up in the other. */
    if (PyDict_GET_SIZE(others) < PySet_GET_SIZE(found)) {
        Py_ssize_t position = 0;
        PyObject *other, *keys;
        while (PyDict_Next(others, &position, &other, &keys)) {
            int present = PySet_Contains(found, other);
            if (present < 0 || (present && add_all(selected, keys) < 0))
                return -1;
        }
        return 0;
    }
    PyObject *iterator = PyObject_GetIter(found);
    if (iterator == NULL)
        return -1;
    PyObject *term_id;
    int status = 0;
    while (status == 0 && (term_id = PyIter_Next(iterator)) != NULL) {
        PyObject *keys = PyDict_GetItemWithError(others, term_id);
        Py_DECREF(term_id);
        if (keys != NULL)
            status = add_all(selected, keys);
        else if (PyErr_Occurred())
            status = -1;
    }
    Py_DECREF(iterator);
    return status < 0 || PyErr_Occurred() ? -1 : 0;
}

/* Return 1 when each item of the tuple `terms` is in `found` (`wanted` 1) or none is
 * (`wanted` 0), else 0; -1 on error. */
static int
all_found(PyObject *terms, PyObject *found, int wanted)
{
    if (!PyTuple_Check(terms)) {
        PyErr_SetString(PyExc_TypeError, "the terms of a posting must be a tuple");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(terms); i++) {
        int present = PySet_Contains(found, PyTuple_GET_ITEM(terms, i));
        if (present < 0)
            return -1;
        if (present != wanted)
            return 0;
    }
    return 1;
}

/* Add the key of each (other required terms, negated terms, key) in the list `entries`
 * whose required terms are all found and negated terms all missing. */
static int
add_conditional(PyObject *selected, PyObject *found, PyObject *entries)
{
    if (!PyList_Check(entries)) {
        PyErr_SetString(PyExc_TypeError, "conditional postings must be lists");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(entries); i++) {
        PyObject *entry = PyList_GET_ITEM(entries, i);
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) {
            PyErr_SetString(PyExc_TypeError, "a conditional posting must be a 3-tuple");
            return -1;
        }
        int is_true = all_found(PyTuple_GET_ITEM(entry, 0), found, 1);
        if (is_true > 0)
            is_true = all_found(PyTuple_GET_ITEM(entry, 1), found, 0);
        if (is_true < 0 || (is_true && PySet_Add(selected, PyTuple_GET_ITEM(entry, 2)) < 0))
            return -1;
    }
    return 0;
}

/* Add the keys that one term's postings, a `TermPostings` tuple, select given `found`. */
static int
add_term(PyObject *selected, PyObject *found, PyObject *postings)
{
    if (!PyTuple_Check(postings) || PyTuple_GET_SIZE(postings) != 3) {
        PyErr_SetString(PyExc_TypeError, "the postings of a term must be a 3-tuple");
        return -1;
    }
    if (add_all(selected, PyTuple_GET_ITEM(postings, 0)) < 0)
        return -1;
    PyObject *pairs = PyTuple_GET_ITEM(postings, 1);
    if (pairs != Py_None && add_found_pairs(selected, found, pairs) < 0)
        return -1;
    PyObject *conditional = PyTuple_GET_ITEM(postings, 2);
    if (conditional != Py_None && add_conditional(selected, found, conditional) < 0)
        return -1;
    return 0;
}

static PyObject *
gather_keys(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *found, *postings;
    if (!PyArg_ParseTuple(args, "O!O!", &PySet_Type, &found, &PyDict_Type, &postings))
        return NULL;
    PyObject *selected = PySet_New(NULL);
    PyObject *iterator = selected == NULL ? NULL : PyObject_GetIter(found);
    if (iterator == NULL) {
        Py_XDECREF(selected);
        return NULL;
    }
    PyObject *term_id;
    int status = 0;
    while (status == 0 && (term_id = PyIter_Next(iterator)) != NULL) {
        PyObject *term_postings = PyDict_GetItemWithError(postings, term_id);
        if (term_postings != NULL)
            status = add_term(selected, found, term_postings);
        else if (PyErr_Occurred())
            status = -1;
        Py_DECREF(term_id);
    }
    Py_DECREF(iterator);
    if (status < 0 || PyErr_Occurred()) {
        Py_DECREF(selected);
        return NULL;
    }
    return selected;
}

/* Return the number of bytes for a filter of `items` strings: about 5 bits each, rounded
 * up to a power of two. */
static Py_ssize_t
filter_size(Py_ssize_t items)
{
    Py_ssize_t size = FILTER_BLOCK_BITS / 8;
    while (size * 8 < items * 5)
        size *= 2;
    return size;
}

static PyObject *
build_filter(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *keys, *prefix_keys, *prefix_starts;
    if (!PyArg_ParseTuple(args, "OOO", &keys, &prefix_keys, &prefix_starts))
        return NULL;
    PyObject *lists[3] = {
        PySequence_List(keys), PySequence_List(prefix_keys), PySequence_List(prefix_starts)};
    PyObject *result = NULL;
    for (int set = 0; set < 3; set++) {
        if (lists[set] == NULL)
            goto done;
    }
    Py_ssize_t items = 0;
    for (int set = 0; set < 3; set++) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lists[set]); i++) {
            PyObject *key = PyList_GET_ITEM(lists[set], i);
            if (!PyUnicode_Check(key)) {
                PyErr_Format(PyExc_TypeError, "filter keys must be str, got %R", key);
                goto done;
            }
            items += set == 2 ? 1 : PyUnicode_GET_LENGTH(key) + 1;
        }
    }
    result = PyByteArray_FromStringAndSize(NULL, filter_size(items));
    if (result == NULL)
        goto done;
    Filter filter = {(unsigned char *)PyByteArray_AS_STRING(result),
                     (uint64_t)PyByteArray_GET_SIZE(result) / (FILTER_BLOCK_BITS / 8)};
    memset(filter.bits, 0, (size_t)PyByteArray_GET_SIZE(result));
    for (int set = 0; set < 3; set++) {
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lists[set]); i++) {
            PyObject *key = PyList_GET_ITEM(lists[set], i);
            if (set == 2) {
                filter_add(&filter, fnv_word(FNV_OFFSET, key), SALT_PREFIX_START);
                continue;
            }
            int kind = PyUnicode_KIND(key);
            const void *data = PyUnicode_DATA(key);
            uint64_t state = FNV_OFFSET;
            for (Py_ssize_t j = 0; j < PyUnicode_GET_LENGTH(key); j++) {
                state = fnv_char(state, PyUnicode_READ(kind, data, j));
                filter_add(&filter, state, SALT_PREFIX);
            }
            if (set == 0)
                filter_add(&filter, state, SALT_KEY);
        }
    }
done:
    for (int set = 0; set < 3; set++)
        Py_XDECREF(lists[set]);
    return result;
}

static PyMethodDef methods[] = {
    {"find_terms", find_terms, METH_VARARGS,
     "find_terms(folded, fields, found, known, known_limit, entries, prefixes,"
     " prefix_lengths, prefix_starts, filter, max_length)\n--\n\n"
     "Add to `found` the ids of the terms of `fields` that occur in one folded text."},
    {"build_filter", build_filter, METH_VARARGS,
     "build_filter(keys, prefix_keys, prefix_starts)\n--\n\n"
     "Return the filter that `find_terms` reads, for the keys of the three tables."},
    {"gather_keys", gather_keys, METH_VARARGS,
     "gather_keys(found, postings)\n--\n\n"
     "Return the set of digest keys posted under the found terms (see `RuleIndex`)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_speedups", "Compiled loops of rule matching.", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
