/* One self-contained HTML report: inline CSS, an inline SVG bar chart of size by
 * top-level directory, the verdict with its evidence, packages, findings and
 * policy results. No script, no external resource; every text is escaped. */
#include <stdio.h>
#include <string.h>
#include "scan/markup.h"
#include "scan/report.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "0.0.0"
#endif

static void esc(FILE *f, const char *s) { ds_markup_put(f, s, "&#39;", "&#xFFFD;"); }

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}"
    "header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}"
    "header .ref{font-family:ui-monospace,monospace;opacity:.8;word-break:break-all}"
    "main{padding:20px 28px;max-width:1200px}"
    "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);padding:16px 20px;margin:0 0 18px}"
    "h2{font-size:16px;margin:0 0 10px}"
    ".verdict{display:inline-block;padding:6px 14px;border-radius:6px;font-weight:700;font-size:18px}"
    ".ok{background:#e3f6e8;color:#17603a}.bad{background:#fde8e8;color:#9b1c1c}.warn{background:#fff4dc;color:#7a4d00}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px}"
    ".card{flex:1 1 160px;border:1px solid #e4e7ec;border-radius:6px;padding:8px 12px}"
    ".card b{display:block;font-size:20px}.card span{color:#5b6474;font-size:12px}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;vertical-align:top}"
    "th{background:#f0f2f5;position:sticky;top:0}td.mono,span.mono{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}"
    "ul.ev{margin:4px 0 8px 18px;padding:0;font-family:ui-monospace,monospace;font-size:12px}"
    ".sev-CRITICAL{color:#fff;background:#7f1d1d}.sev-HIGH{color:#fff;background:#c2410c}.sev-MEDIUM{background:#fde68a}"
    ".sev-LOW{background:#dbeafe}.sev-UNKNOWN{background:#e5e7eb}.pill{padding:1px 6px;border-radius:4px;font-size:11px;font-weight:600}"
    "details summary{cursor:pointer;color:#334}footer{color:#8a93a3;font-size:12px;padding:0 28px 20px}";

static void fact_list(FILE *f, const char *title, const ds_strlist *l, bool bad_when_any) {
    fprintf(f, "<h3 style=\"font-size:14px;margin:10px 0 2px\">");
    esc(f, title);
    fprintf(f, " <span class=\"pill %s\">%zu</span></h3>", l->n ? (bad_when_any ? "bad" : "warn") : "ok", l->n);
    if (!l->n) return;
    fputs("<ul class=\"ev\">", f);
    for (size_t i = 0; i < l->n && i < 50; i++) {
        fputs("<li>", f);
        esc(f, l->v[i]);
        fputs("</li>", f);
    }
    if (l->n > 50) fprintf(f, "<li>... %zu more</li>", l->n - 50);
    fputs("</ul>", f);
}

static void human_size(char *buf, size_t n, uint64_t b) {
    if (b >= 1000000000ULL) snprintf(buf, n, "%.2f GB", (double)b / 1e9);
    else if (b >= 1000000ULL) snprintf(buf, n, "%.1f MB", (double)b / 1e6);
    else if (b >= 1000ULL) snprintf(buf, n, "%.1f kB", (double)b / 1e3);
    else snprintf(buf, n, "%llu B", (unsigned long long)b);
}

static void chart(FILE *f, const ds_scan *s) {
    size_t n = 0;
    for (size_t i = 0; i < s->n_dirs && n < 12; i++)
        if (s->dirs[i].bytes) n++;
    if (!n) { fputs("<p>No regular files.</p>", f); return; }
    uint64_t max = s->dirs[0].bytes ? s->dirs[0].bytes : 1;
    int row = 24, w = 760, label = 120, bar_max = 500;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"Size by top-level directory\" "
               "width=\"%d\" height=\"%zu\" viewBox=\"0 0 %d %zu\" font-family=\"system-ui,sans-serif\" font-size=\"12\">",
            w, n * (size_t)row + 8, w, n * (size_t)row + 8);
    size_t k = 0;
    for (size_t i = 0; i < s->n_dirs && k < n; i++) {
        if (!s->dirs[i].bytes) continue;
        int y = (int)k * row + 4;
        int bw = (int)((double)s->dirs[i].bytes / (double)max * bar_max);
        if (bw < 1) bw = 1;
        char hs[32];
        human_size(hs, sizeof hs, s->dirs[i].bytes);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" fill=\"#334\">", label - 8, y + 15);
        esc(f, s->dirs[i].name);
        fprintf(f, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" fill=\"#3b82f6\"/>"
                   "<text x=\"%d\" y=\"%d\" fill=\"#334\">%s</text>",
                label, y + 2, bw, label + bw + 6, y + 15, hs);
        k++;
    }
    fputs("</svg>", f);
}

char *ds_html_report(const ds_scan *s, const ds_findings *fd, const ds_policy_results *pol) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) abort();
    const ds_verdict *v = &s->verdict;
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
          "<title>distill scan: ", f);
    esc(f, s->image_ref);
    fprintf(f, "</title><style>%s</style></head><body>\n<header><h1>distill scan report</h1><div class=\"ref\">", CSS);
    esc(f, s->image_ref);
    if (s->digest) {
        fputs("</div><div class=\"ref\" id=\"image-digest\">", f);
        esc(f, s->digest);
    }
    fputs("</div></header><main>\n", f);

    /* Verdict and key numbers. */
    fprintf(f, "<section id=\"summary\"><h2>Verdict</h2><span id=\"verdict\" class=\"verdict %s\">%s</span>",
            v->distroless ? "ok" : "bad", v->distroless ? "DISTROLESS" : "NOT DISTROLESS");
    fputs("<p>Distroless means: no shell and no package manager in the image.</p><div class=\"cards\">", f);
    char hs[32];
    human_size(hs, sizeof hs, s->tree.total_size);
    fprintf(f, "<div class=\"card\"><b id=\"package-count\">%zu</b><span>packages</span></div>", s->pkgs.n);
    fprintf(f, "<div class=\"card\"><b>%s</b><span>size (%zu entries)</span></div>", hs, s->tree.n);
    fputs("<div class=\"card\"><b>", f);
    esc(f, v->distro.pretty ? v->distro.pretty : v->distro.id ? v->distro.id : "unknown");
    fputs("</b><span>distro</span></div><div class=\"card\"><b>", f);
    esc(f, v->family);
    fprintf(f, "</b><span>base family (%zu ELF files)</span></div>", v->n_elf);
    fputs("<div class=\"card\"><b>", f);
    esc(f, v->user ? (v->user[0] ? v->user : "(empty)") : "unknown");
    fprintf(f, "</b><span>run user: %s</span></div>",
            v->user_is_root < 0 ? "root unknown" : v->user_is_root ? "root" : "not root");
    if (fd) fprintf(f, "<div class=\"card\"><b id=\"finding-count\">%zu</b><span>vulnerability findings</span></div>", fd->n);
    if (pol) fprintf(f, "<div class=\"card\"><b id=\"policy-failed\">%zu / %zu</b><span>policy checks failed</span></div>", pol->failed, pol->n);
    fputs("</div></section>\n", f);

    fputs("<section id=\"evidence\"><h2>Evidence</h2>", f);
    fact_list(f, "Shells", &v->shells, true);
    fact_list(f, "Package managers", &v->pkg_managers, true);
    fact_list(f, "Network tools", &v->net_tools, false);
    fact_list(f, "Setuid / setgid files", &v->setuid, false);
    fact_list(f, "World-writable (no sticky bit)", &v->world_writable, true);
    fact_list(f, "Accounts with a login shell", &v->login_accounts, false);
    fact_list(f, "Accounts with an empty password", &v->empty_password, true);
    fact_list(f, "ELF interpreters", &v->interpreters, false);
    fputs("<p>Run user: ", f);
    esc(f, v->user_evidence);
    fputs("<br>CA certificates: ", f);
    esc(f, v->ca_certs ? v->ca_certs : "none");
    fputs("<br>tzdata: ", f);
    esc(f, v->tzdata ? v->tzdata : "none");
    fputs("</p></section>\n", f);

    fputs("<section id=\"sizes\"><h2>Size by top-level directory</h2>", f);
    chart(f, s);
    fputs("</section>\n", f);

    if (fd) {
        fprintf(f, "<section id=\"findings\"><h2>Vulnerabilities (%zu, from %zu advisories)</h2>", fd->n, fd->n_files);
        if (fd->n) {
            fputs("<table><tr><th>Severity</th><th>Advisory</th><th>Package</th><th>Installed</th><th>Fixed in</th><th>Summary</th></tr>", f);
            for (size_t i = 0; i < fd->n; i++) {
                const ds_finding *x = &fd->v[i];
                fprintf(f, "<tr><td><span class=\"pill sev-%s\">%s</span></td><td class=\"mono\">", x->severity, x->severity);
                esc(f, x->id);
                fputs("</td><td>", f);
                esc(f, x->pkg_name);
                fputs("</td><td class=\"mono\">", f);
                esc(f, x->pkg_version);
                fputs("</td><td class=\"mono\">", f);
                esc(f, x->fixed ? x->fixed : "-");
                fputs("</td><td>", f);
                esc(f, x->summary);
                fputs("</td></tr>", f);
            }
            fputs("</table>", f);
        } else {
            fputs("<p class=\"ok\">No advisory matches an installed package.</p>", f);
        }
        fputs("</section>\n", f);
    }

    if (pol) {
        fputs("<section id=\"policy\"><h2>Policy ", f);
        esc(f, pol->name);
        fprintf(f, ": %zu checks, <span class=\"%s\">%zu failed</span></h2>", pol->n, pol->failed ? "bad" : "ok", pol->failed);
        fputs("<table><tr><th>Result</th><th>Check</th><th>Evidence</th></tr>", f);
        /* Failures first: they are what a reader came for. */
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; i < pol->n; i++) {
                if (pol->v[i].pass != (pass == 1)) continue;
                fprintf(f, "<tr><td><span class=\"pill %s\">%s</span></td><td class=\"mono\">", pass ? "ok" : "bad",
                        pass ? "PASS" : "FAIL");
                esc(f, pol->v[i].id);
                fputs("</td><td>", f);
                esc(f, pol->v[i].evidence);
                fputs("</td></tr>", f);
            }
        fputs("</table></section>\n", f);
    }

    fprintf(f, "<section id=\"packages\"><h2>Packages (%zu)</h2>", s->pkgs.n);
    if (s->pkgs.n) {
        fputs("<table><tr><th>Type</th><th>Name</th><th>Version</th><th>Arch</th><th>License</th><th>Files</th><th>purl</th></tr>", f);
        for (size_t i = 0; i < s->pkgs.n; i++) {
            const ds_pkg *p = &s->pkgs.v[i];
            fputs("<tr><td>", f);
            esc(f, p->type);
            fputs("</td><td>", f);
            esc(f, p->name);
            fputs("</td><td class=\"mono\">", f);
            esc(f, p->version);
            fputs("</td><td>", f);
            esc(f, p->arch);
            fputs("</td><td>", f);
            esc(f, p->license);
            fprintf(f, "</td><td>%zu</td><td class=\"mono\">", p->files.n);
            esc(f, p->purl);
            fputs("</td></tr>", f);
        }
        fputs("</table>", f);
    }
    fputs("</section>\n", f);
    if (s->notes.n) {
        fputs("<section id=\"notes\"><h2>Notes</h2>", f);
        fact_list(f, "Not read", &s->notes, false);
        fputs("</section>", f);
    }
    fputs("</main><footer>distill " DISTILL_VERSION " &mdash; static scan, nothing from the image was run.</footer></body></html>\n", f);
    fclose(f);
    return buf;
}
