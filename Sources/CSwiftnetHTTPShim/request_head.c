#include "request_head.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* RFC 9110 token characters. */
static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return NULL != memchr("!#$%&'*+-.^_`|~", c, 15);
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t) (c + 32) : c;
}

static bool equals_caseless(const uint8_t *bytes, size_t len, const char *word)
{
    size_t i;

    if (strlen(word) != len)
        return false;
    for (i = 0; i < len; i++) {
        if (lower(bytes[i]) != (uint8_t) word[i])
            return false;
    }
    return true;
}

static enum head_verdict refuse(struct head_refusal *refusal, unsigned int status, const char *message)
{
    refusal->status = status;
    snprintf(refusal->message, sizeof refusal->message, "%s", message);
    return HEAD_REFUSED;
}

/* `METHOD SP target SP HTTP/d.d`, single spaces, nothing else. Query arguments are counted
 * into `fields`: MHD stores each as a field of its own. */
static enum head_verdict check_request_line(const uint8_t *line, size_t len, unsigned int *fields,
                                            struct head_refusal *refusal)
{
    const uint8_t *query;
    static const char malformed[] =
        "malformed HTTP request line: expected 'METHOD /path HTTP/1.1'";
    size_t i = 0, method_len, target_start, version_start;
    const uint8_t *v;

    while (i < len && is_tchar(line[i]))
        i++;
    method_len = i;
    if (0 == method_len || method_len > 32 || i >= len || ' ' != line[i])
        return refuse(refusal, 400, malformed);
    target_start = ++i;
    while (i < len && line[i] > 0x20 && line[i] < 0x7F)
        i++;
    if (i == target_start || i >= len || ' ' != line[i])
        return refuse(refusal, 400, malformed);
    query = memchr(line + target_start, '?', i - target_start);
    if (NULL != query) {
        const uint8_t *p;

        for (p = query; p < line + i; p++)
            *fields += '?' == *p || '&' == *p;
    }
    version_start = ++i;
    v = line + version_start;
    if (8 != len - version_start || 0 != memcmp(v, "HTTP/", 5) || !is_digit(v[5]) || '.' != v[6]
        || !is_digit(v[7]))
        return refuse(refusal, 400, malformed);
    if ('1' != v[5]) {
        /* Not 505: a request line that claims HTTP/2 or later is no valid request of that
         * version either (HTTP/2 starts with a binary preface), so the client is at fault. */
        refusal->status = 400;
        snprintf(refusal->message, sizeof refusal->message,
                 "unsupported HTTP version %.8s: swiftnet speaks HTTP/1.1 (and 1.0)",
                 (const char *) v);
        return HEAD_REFUSED;
    }
    return HEAD_ACCEPTED;
}

/* Value without its leading spaces and tabs: all that MHD (0.9.75, process_header_line) takes
 * off a value. It keeps trailing white space, so the values MHD reads itself (Content-Length,
 * Transfer-Encoding) must be judged with theirs. */
static void skip_leading_space(const uint8_t **value, size_t *len)
{
    while (*len > 0 && (' ' == (*value)[0] || '\t' == (*value)[0])) {
        (*value)++;
        (*len)--;
    }
}

static bool ends_in_space(const uint8_t *value, size_t len)
{
    return len > 0 && (' ' == value[len - 1] || '\t' == value[len - 1]);
}

const char *transfer_encoding_refusal(const uint8_t *value, size_t len)
{
    /* MHD reads "chunked " (white space kept) as a body of unknown length that it neither
     * decodes nor ends; the value check below refuses it already, this names the cause. */
    if (ends_in_space(value, len))
        return "malformed Transfer-Encoding header: white space after the value";
    if (!equals_caseless(value, len, "chunked"))
        return "unsupported Transfer-Encoding: only chunked is accepted";
    return NULL;
}

struct framing {
    bool has_length;
    bool length_overflows;
    uint64_t length;
    bool has_transfer_encoding;
};

static enum head_verdict note_content_length(const uint8_t *value, size_t len,
                                             struct framing *framing,
                                             struct head_refusal *refusal)
{
    static const char malformed[] =
        "malformed Content-Length header: expected a decimal number of bytes";
    uint64_t number = 0;
    bool overflows = false;
    size_t i;

    if (0 == len)
        return refuse(refusal, 400, malformed);
    for (i = 0; i < len; i++) {
        if (!is_digit(value[i]))
            return refuse(refusal, 400, malformed);
        if (number > (UINT64_MAX - (uint64_t) (value[i] - '0')) / 10)
            overflows = true;
        else
            number = number * 10 + (uint64_t) (value[i] - '0');
    }
    if (framing->has_length
        && (framing->length != number || framing->length_overflows != overflows))
        return refuse(refusal, 400, "conflicting Content-Length headers");
    framing->has_length = true;
    framing->length = number;
    framing->length_overflows = overflows;
    return HEAD_ACCEPTED;
}

/* `name: value` with a token name directly before the colon and no control characters. */
static enum head_verdict check_field_line(const uint8_t *line, size_t len, unsigned int line_number,
                                          unsigned int *fields, struct framing *framing,
                                          struct head_refusal *refusal)
{
    size_t i = 0, name_len;
    const uint8_t *value;
    size_t value_len;

    if (' ' == line[0] || '\t' == line[0]) {
        refusal->status = 400;
        snprintf(refusal->message, sizeof refusal->message,
                 "header line %u continues the previous one (obsolete line folding is not accepted)",
                 line_number);
        return HEAD_REFUSED;
    }
    while (i < len && is_tchar(line[i]))
        i++;
    name_len = i;
    if (0 == name_len || i >= len || ':' != line[i]) {
        refusal->status = 400;
        snprintf(refusal->message, sizeof refusal->message,
                 "malformed HTTP header line %u: expected 'Name: value'", line_number);
        return HEAD_REFUSED;
    }
    value = line + i + 1;
    value_len = len - i - 1;
    for (i = 0; i < value_len; i++) {
        if ((value[i] < 0x20 && '\t' != value[i]) || 0x7F == value[i]) {
            refusal->status = 400;
            snprintf(refusal->message, sizeof refusal->message,
                     "HTTP header line %u contains a control character", line_number);
            return HEAD_REFUSED;
        }
    }
    skip_leading_space(&value, &value_len);
    if (equals_caseless(line, name_len, "cookie")) {
        /* MHD stores each cookie as a field of its own in the connection's memory; it splits
         * them at commas as well as semicolons (0.9.75, parse_cookie_header). */
        for (i = 0; i < value_len; i++)
            *fields += ';' == value[i] || ',' == value[i];
    }
    if (equals_caseless(line, name_len, "content-length")) {
        /* MHD would answer "Content-Length: 2 " with its HTML 400. The number check refuses
         * it already (a space is not a digit); this names the cause. */
        if (ends_in_space(value, value_len))
            return refuse(refusal, 400, "malformed Content-Length header: white space after the number");
        return note_content_length(value, value_len, framing, refusal);
    }
    if (equals_caseless(line, name_len, "transfer-encoding")) {
        const char *why = transfer_encoding_refusal(value, value_len);

        if (NULL != why)
            return refuse(refusal, 400, why);
        framing->has_transfer_encoding = true;
    }
    return HEAD_ACCEPTED;
}

static enum head_verdict check_framing(const struct framing *framing, size_t max_body_bytes,
                                       struct head_refusal *refusal)
{
    if (framing->has_length && framing->has_transfer_encoding)
        return refuse(refusal, 400, "request has both Content-Length and Transfer-Encoding");
    if (framing->length_overflows) {
        refusal->status = 413;
        snprintf(refusal->message, sizeof refusal->message,
                 "request body larger than %zu bytes", max_body_bytes);
        return HEAD_REFUSED;
    }
    return HEAD_ACCEPTED;
}

static enum head_verdict too_large(struct head_refusal *refusal, const char *what)
{
    refusal->status = 431;
    snprintf(refusal->message, sizeof refusal->message, "request head has more than %s", what);
    return HEAD_REFUSED;
}

enum head_verdict request_head_check(const uint8_t *bytes, size_t len, size_t max_body_bytes,
                                     struct head_refusal *refusal)
{
    struct framing framing = { false, false, 0, false };
    bool seen_request_line = false;
    unsigned int line_number = 0, fields = 0;
    size_t pos = 0;

    for (;;) {
        const uint8_t *line = bytes + pos;
        const uint8_t *lf = memchr(line, '\n', len - pos);
        size_t line_len;
        enum head_verdict verdict;

        if (NULL == lf) {
            if (len > REQUEST_HEAD_MAX_BYTES)
                return too_large(refusal, "8192 bytes");
            /* A line in progress can already be wrong. */
            if (NULL != memchr(line, '\0', len - pos))
                return refuse(refusal, 400, "request head contains a NUL byte");
            return HEAD_INCOMPLETE;
        }
        pos = (size_t) (lf - bytes) + 1;
        if (pos > REQUEST_HEAD_MAX_BYTES)
            return too_large(refusal, "8192 bytes");
        line_len = (size_t) (lf - line);
        if (line_len > 0 && '\r' == line[line_len - 1])
            line_len--;
        if (NULL != memchr(line, '\r', line_len))
            return refuse(refusal, 400, "request head contains a CR not followed by LF");
        if (NULL != memchr(line, '\0', line_len))
            return refuse(refusal, 400, "request head contains a NUL byte");
        if (!seen_request_line) {
            /* Empty lines before the request line are allowed (RFC 9112 section 2.2). */
            if (0 == line_len)
                continue;
            line_number = 1;
            verdict = check_request_line(line, line_len, &fields, refusal);
            if (HEAD_ACCEPTED != verdict)
                return verdict;
            if (fields > REQUEST_HEAD_MAX_FIELDS)
                return too_large(refusal, "100 header fields");
            seen_request_line = true;
            continue;
        }
        line_number++;
        if (0 == line_len)
            return check_framing(&framing, max_body_bytes, refusal);
        fields++;
        verdict = check_field_line(line, line_len, line_number, &fields, &framing, refusal);
        if (HEAD_ACCEPTED != verdict)
            return verdict;
        if (fields > REQUEST_HEAD_MAX_FIELDS)
            return too_large(refusal, "100 header fields");
    }
}
