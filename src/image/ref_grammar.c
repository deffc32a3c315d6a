/* distribution/reference's grammar for names and tags; see ref_grammar.h. */
#include "image/ref_grammar.h"
#include <string.h>

static bool alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
static bool lower_alnum(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool hexdig(unsigned char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static bool port_valid(const char *s, size_t n) {
    if (n == 0 || n > 5) return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!digit((unsigned char)s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* domain-component ('.' domain-component)* */
static bool domain_name_valid(const char *s, size_t n) {
    size_t i = 0;
    for (;;) {
        size_t start = i;
        while (i < n && (alnum((unsigned char)s[i]) || s[i] == '-')) i++;
        if (i == start || s[start] == '-' || s[i - 1] == '-') return false;
        if (i == n) return true;
        if (s[i] != '.') return false;
        i++;
    }
}

/* '[' IPv6address ']': hex groups, ':' and '::', an IPv4 tail allowed (checked loosely: the
 * characters and at most one '::'; the registry's own connect is the final judge). */
static bool ipv6_valid(const char *s, size_t n) {
    if (n < 2) return false;
    int dbl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(hexdig(c) || c == ':' || c == '.')) return false;
        if (c == ':' && i + 1 < n && s[i + 1] == ':') dbl++;
    }
    return dbl <= 1 && memchr(s, ':', n) != NULL;
}

bool ds_ref_domain_valid(const char *s, size_t n) {
    if (n == 0 || n > DS_REF_NAME_MAX) return false;
    size_t host_end = n;
    if (s[0] == '[') {
        const char *rb = memchr(s, ']', n);
        if (!rb) return false;
        size_t r = (size_t)(rb - s);
        if (!ipv6_valid(s + 1, r - 1)) return false;
        if (r + 1 == n) return true;
        return s[r + 1] == ':' && port_valid(s + r + 2, n - r - 2);
    }
    const char *colon = memchr(s, ':', n);
    if (colon) {
        host_end = (size_t)(colon - s);
        if (!port_valid(colon + 1, n - host_end - 1)) return false;
    }
    return domain_name_valid(s, host_end);
}

/* path-component ('/' path-component)*, path-component = [a-z0-9]+ (separator [a-z0-9]+)* */
bool ds_ref_path_valid(const char *s, size_t n) {
    if (n == 0 || n > DS_REF_NAME_MAX) return false;
    size_t i = 0;
    for (;;) {
        if (i == n || !lower_alnum((unsigned char)s[i])) return false;
        while (i < n && lower_alnum((unsigned char)s[i])) i++;
        if (i == n) return true;
        if (s[i] == '/') { i++; continue; }
        if (s[i] == '.') i++;
        else if (s[i] == '_') { i++; if (i < n && s[i] == '_') i++; }
        else if (s[i] == '-') { while (i < n && s[i] == '-') i++; }
        else return false;
    }
}

bool ds_ref_tag_valid(const char *s, size_t n) {
    if (n == 0 || n > DS_REF_TAG_MAX) return false;
    if (!(alnum((unsigned char)s[0]) || s[0] == '_')) return false;
    for (size_t i = 1; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(alnum(c) || c == '_' || c == '.' || c == '-')) return false;
    }
    return true;
}

size_t ds_ref_domain_len(const char *name) {
    const char *slash = strchr(name, '/');
    if (!slash) return 0;
    size_t n = (size_t)(slash - name);
    if (memchr(name, '.', n) || memchr(name, ':', n) || (n == 9 && !strncmp(name, "localhost", 9)) || name[0] == '[')
        return n;
    return 0;
}
