/* Unit tests for the Perl and Ruby standard libraries at module level: the readers
 * (src/minify/perlimports.c, rbimports.c) and the package level's rule (keep_scriptlib.c)
 * on a hand-made tree laid out as Debian's perl 5.36 and ruby3.1 are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "minify/minify.h"
#include "minify/perlimports.h"
#include "minify/rbimports.h"
#include "util/fsutil.h"

static bool has(const ds_strlist *l, const char *s) { return ds_strlist_has(l, s); }

/* ---------------------------------------------------------------- Perl reader */

static void test_perl_statements(void **state) {
    (void)state;
    const char *src =
        "#!/usr/bin/perl\n"
        "use strict; use warnings;\n"
        "use v5.36;\n"
        "use List::Util qw(sum max);\n"
        "use parent -norequire, 'Not::Loaded';\n"
        "use parent qw(Base::One Base::Two);\n"
        "use base 'Base::Three';\n"
        "use if $] >= 5.010, 'Cond::Mod' => 'x';\n"
        "no Some::Pragma;\n"
        "require Top::Level;\n"
        "require 'path/file.pl';\n"
        "require 5.006;\n"
        "my %h = (require => 1, use => 2); $h{require}; $obj->require('Not::This');\n"
        "# require In::Comment;\n"
        "my $s = 'require In::String;'; my $q = q{use In::Q;}; my $r = qr/require In::Regex/;\n"
        "$x =~ s,::,/,g; my $d = 6 / 2; require After::Subst;\n"
        "print <<EOT;\nrequire In::Heredoc;\nEOT\n"
        "=pod\n\nrequire In::Pod;\n\n=cut\n"
        "sub lazy {\n    require Inside::Sub;\n    use Compile::Time;\n    if ($x) { require Deeper::Sub; }\n}\n"
        "if ($] < 5.008) { require Old::Perl; }\n"
        "unless (defined &utf8::is_utf8) { require Encode; }\n"
        "require Last::One;\n"
        "__END__\nrequire After::End;\n";
    ds_perl_uses all = {0}, top = {0};
    ds_perl_imports(src, strlen(src), 0, &all);
    ds_perl_imports(src, strlen(src), DS_PERL_TOP_ONLY, &top);
    const char *want[] = {"strict.pm", "warnings.pm", "feature.pm", "List/Util.pm", "parent.pm", "Base/One.pm",
                          "Base/Two.pm", "base.pm", "Base/Three.pm", "if.pm", "Cond/Mod.pm", "Some/Pragma.pm",
                          "Top/Level.pm", "path/file.pl", "After/Subst.pm", "Compile/Time.pm", "Last/One.pm"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!has(&all.files, want[i])) fail_msg("all: expected %s", want[i]);
        if (!has(&top.files, want[i])) fail_msg("top: expected %s", want[i]);
    }
    const char *never[] = {"Not/Loaded.pm", "Not/This.pm", "In/Comment.pm", "In/String.pm", "In/Q.pm", "In/Regex.pm",
                           "In/Heredoc.pm", "In/Pod.pm", "After/End.pm", "Old/Perl.pm", "Encode.pm"};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++) {
        if (has(&all.files, never[i])) fail_msg("all: %s is not loaded", never[i]);
        if (has(&top.files, never[i])) fail_msg("top: %s is not loaded", never[i]);
    }
    /* a sub body's requires: followed in an app's file, not in a standard module's */
    assert_true(has(&all.files, "Inside/Sub.pm"));
    assert_true(has(&all.files, "Deeper/Sub.pm"));
    assert_false(has(&top.files, "Inside/Sub.pm"));
    assert_false(has(&top.files, "Deeper/Sub.pm"));
    assert_false(all.dynamic);
    ds_perl_uses_free(&all);
    ds_perl_uses_free(&top);
}

static void test_perl_xs(void **state) {
    (void)state;
    const char *src =
        "package Digest::SHA;\nrequire XSLoader;\nXSLoader::load('Digest::SHA', $VERSION);\n"
        "package List::Util;\nXSLoader::load();\n"
        "package Old::Style;\n__PACKAGE__->bootstrap($VERSION);\n"
        "package Other;\nbootstrap Named::Module $VERSION;\n"
        "sub bootstrap { }\n"
        "require \"File/Spec/$module.pm\";\n";
    ds_perl_uses u = {0};
    ds_perl_imports(src, strlen(src), DS_PERL_TOP_ONLY, &u);
    assert_true(has(&u.files, "XSLoader.pm"));
    assert_true(has(&u.xs, "Digest::SHA"));
    assert_true(has(&u.xs, "List::Util"));
    assert_true(has(&u.xs, "Old::Style"));
    assert_true(has(&u.xs, "Named::Module"));
    assert_int_equal(u.xs.n, 4);
    assert_true(u.dynamic); /* a computed name */
    ds_perl_uses_free(&u);
    /* hostile bytes: unterminated strings, POD and heredocs; NULs; nothing escapes */
    const char bad[] = "require 'a\0b\nprint <<\"X\nq{{{\n=pod\nuse Foo::\n$#{\ns{a}\n";
    ds_perl_imports(bad, sizeof bad - 1, 0, &u);
    for (size_t i = 0; i < u.files.n; i++) assert_null(strstr(u.files.v[i], ".."));
    ds_perl_uses_free(&u);
}

/* ---------------------------------------------------------------- Ruby reader */

static void test_rb_statements(void **state) {
    (void)state;
    const char *src =
        "# frozen_string_literal: true\n"
        "require 'webrick'\n"
        "require \"json\"\n"
        "require('csv')\n"
        "require_relative 'lib/report'\n"
        "autoload :Set, 'set'\n"
        "module M\n  autoload(:Prime, \"prime\")\n  require 'in/module'\nend\n"
        "x = y if require 'modifier/if'\n"
        "# require 'in/comment'\n"
        "s = 'require \"in/string\"'; t = %w[require in/words]; r = /require 'in\\/regex'/\n"
        "h = { if: 1, class: 2 }\n"
        "puts <<~EOS\n  require 'in/heredoc'\nEOS\n"
        "=begin\nrequire 'in/begin'\n=end\n"
        "def lazy(a)\n  if a\n    require 'inside/def'\n  end\n  [1].each do |i|\n    require 'in/block'\n  end\nend\n"
        "def endless(x) = x + 1\n"
        "require 'after/endless'\n"
        "while x do\n  x -= 1\nend\n"
        "require 'after/loop'\n"
        "class << self\n  def meta\n    require 'in/meta'\n  end\nend\n"
        "require \"dyn/#{x}\"\n"
        "require 'last'\n"
        "__END__\nrequire 'after/end'\n";
    ds_rb_uses all = {0}, top = {0};
    ds_rb_imports(src, strlen(src), 0, &all);
    ds_rb_imports(src, strlen(src), DS_RB_TOP_ONLY, &top);
    const char *want[] = {"webrick", "json", "csv", "set", "prime", "in/module", "modifier/if", "after/endless",
                          "after/loop", "last"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        if (!has(&all.requires, want[i])) fail_msg("all: expected %s", want[i]);
        if (!has(&top.requires, want[i])) fail_msg("top: expected %s", want[i]);
    }
    assert_true(has(&all.relative, "lib/report"));
    assert_true(has(&top.relative, "lib/report"));
    const char *never[] = {"in/comment", "in/string", "in/words", "in/regex", "in/heredoc", "in/begin", "after/end"};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        if (has(&all.requires, never[i])) fail_msg("%s is not required", never[i]);
    /* inside a def: followed in an app's file, not in a standard library's */
    assert_true(has(&all.requires, "inside/def"));
    assert_true(has(&all.requires, "in/block"));
    assert_true(has(&all.requires, "in/meta"));
    assert_false(has(&top.requires, "inside/def"));
    assert_false(has(&top.requires, "in/block"));
    assert_false(has(&top.requires, "in/meta"));
    assert_true(all.dynamic);
    ds_rb_uses_free(&all);
    ds_rb_uses_free(&top);
    const char bad[] = "require '\0x\n%w[\n<<~A\n\"#{\n=begin\ndef (\nrequire '../../etc/passwd'\n";
    ds_rb_uses u = {0};
    ds_rb_imports(bad, sizeof bad - 1, 0, &u);
    for (size_t i = 0; i < u.requires.n; i++) assert_null(strstr(u.requires.v[i], ".."));
    ds_rb_uses_free(&u);
}

/* ---------------------------------------------------------------- the package level */

static char *root;

static void put(const char *rel, const char *data, mode_t mode) {
    char *p = ds_xasprintf("%s%s", root, rel);
    ds_err e;
    char *dir = ds_xstrdup(p);
    *strrchr(dir, '/') = 0;
    assert_int_equal(ds_mkdirs(dir, 0755, &e), 0);
    assert_int_equal(ds_write_file_atomic(p, data, strlen(data), mode, &e), 0);
    free(dir);
    free(p);
}

#define PL "/usr/share/perl/5.36.0"
#define PA "/usr/lib/x86_64-linux-gnu/perl/5.36.0"
#define PB "/usr/lib/x86_64-linux-gnu/perl-base"
#define RL "/usr/lib/ruby/3.1.0"
#define RA "/usr/lib/x86_64-linux-gnu/ruby/3.1.0"

static int setup(void **state) {
    (void)state;
    ds_err e;
    assert_int_equal(ds_mkdtemp("distill-test-scriptlib", &root, &e), 0);
    put("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0644);
    put("/etc/group", "root:x:0:\n", 0644);
    put("/usr/bin/perl", "perl", 0755);
    put("/usr/bin/ruby3.1", "ruby", 0755);
    put(PL "/.keep", "", 0644);
    char *l = ds_xasprintf("%s/usr/share/perl/5.36", root);
    assert_int_equal(symlink("5.36.0", l), 0);
    free(l);
    put(PL "/JSON/PP.pm", "package JSON::PP;\nuse Exporter ();\nsub decode {\n  require Encode;\n}\n", 0644);
    put(PL "/Unused.pm", "", 0644);
    put(PB "/Exporter.pm", "package Exporter;\nrequire Carp;\n", 0644);
    put(PB "/Carp.pm", "", 0644);
    put(PA "/Encode.pm", "", 0644);
    put(PA "/Digest/SHA.pm", "package Digest::SHA;\nuse parent 'Digest::base';\nrequire XSLoader;\nXSLoader::load();\n", 0644);
    put(PA "/auto/Digest/SHA/SHA.so", "so", 0644);
    put(PA "/auto/Other/Other.so", "so", 0644);
    put(PL "/Digest/base.pm", "", 0644);
    put(PB "/File/Spec.pm", "package File::Spec;\nrequire \"File/Spec/$module.pm\";\n", 0644);
    put(PB "/File/Spec/Unix.pm", "", 0644);
    put(PB "/Other.pm", "", 0644);
    put("/usr/share/perl5/CPAN/Thing.pm", "package CPAN::Thing;\nsub f { require File::Spec; }\n", 0644);
    put("/usr/share/perl5/CPAN/Thing/Part.pm", "", 0644);
    put("/srv/pl/app.pl", "use strict;\nuse CPAN::Thing;\nsub handler {\n  require Digest::SHA;\n}\n", 0644);
    put(PB "/strict.pm", "", 0644);
    /* Ruby */
    put(RL "/csv.rb", "require 'forwardable'\nrequire_relative 'csv/parser'\ndef x\n  require 'never'\nend\n", 0644);
    put(RL "/csv/parser.rb", "require 'strscan'\n", 0644);
    put(RL "/forwardable.rb", "", 0644);
    put(RL "/never.rb", "", 0644);
    put(RA "/strscan.so", "so", 0644);
    put(RL "/digest.rb", "require 'digest.so'\ndef self.const_missing(n)\n  require lib\nend\n", 0644);
    put(RA "/digest.so", "so", 0644);
    put(RA "/digest/sha2.so", "so", 0644);
    put(RL "/digest/sha2.rb", "", 0644);
    put(RA "/enc/encdb.so", "so", 0644);
    put(RA "/enc/shift_jis.so", "so", 0644);
    put("/usr/lib/ruby/gems/3.1.0/gems/prime-0.1.2/lib/prime.rb", "require 'singleton'\n", 0644);
    put("/usr/lib/ruby/gems/3.1.0/gems/prime-0.1.2/lib/prime/extra.rb", "", 0644);
    put(RL "/singleton.rb", "", 0644);
    put("/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick.rb",
        "def serve\n  require 'forwardable'\nend\n", 0644);
    /* optional parts of ruby-webrick (never loaded): ssl.rb's heavy module stays out, its
     * cheap one is kept; https.rb's is kept, since the app's report.rb loads https.rb */
    put("/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/ssl.rb",
        "require 'heavyssl'\nrequire 'cheapmod'\nrequire 'midmod'\n", 0644);
    /* ... and midmod, small itself, would load webrick/util3 (kept, optional), which loads heavy3 */
    put(RL "/midmod.rb", "require 'webrick/util3'\n", 0644);
    put("/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/util3.rb", "require 'heavy3'\n", 0644);
    put(RL "/heavy3.rb", "require 'heavyssl.so'\n", 0644);
    put("/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/https.rb", "require 'heavy2'\n", 0644);
    put(RL "/heavyssl.rb", "require 'heavyssl.so'\n", 0644);
    put(RL "/heavy2.rb", "require 'heavy2.so'\n", 0644);
    put(RL "/cheapmod.rb", "", 0644);
    char *big = ds_xcalloc(1, (3u << 20) + 1);
    memset(big, 'x', 3u << 20);
    put(RA "/heavyssl.so", big, 0644);
    put(RA "/heavy2.so", big, 0644);
    free(big);
    put(RA "/enc/trans/transdb.so", "so", 0644);
    put(RA "/enc/trans/single_byte.so", "so", 0644);
    put(RA "/enc/trans/big5.so", "so", 0644);
    /* a gem whose specification rubygems read at start, and nothing else */
    put("/usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec", "spec", 0644);
    put("/usr/share/rubygems-integration/all/gems/rake-13.0.6/lib/rake.rb", "", 0644);
    put("/srv/rb/app.rb",
        "require 'webrick'\ndef csv\n  require 'csv'\nend\ndef d\n  require 'digest'\nend\ndef p\n  require 'prime'\nend\n"
        "require_relative 'lib/report'\n", 0644);
    put("/srv/rb/lib/report.rb", "require 'erb'\ndef tls\n  require 'webrick/https'\nend\n", 0644);
    put(RL "/erb.rb", "", 0644);
    put(RL "/rubygems.rb", "require 'rubygems/specification'\n", 0644);
    put(RL "/rubygems/specification.rb", "", 0644);
    put(RL "/rubygems/commands/install_command.rb", "require 'openssl_never'\n", 0644);
    put(RL "/openssl_never.rb", "", 0644);
    put("/var/lib/dpkg/status",
        "Package: perl-base\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
        "Package: perl-modules-5.36\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
        "Package: libperl5.36\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
        "Package: libcpan-thing-perl\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
        "Package: libruby3.1\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
        "Package: ruby-webrick\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n\n"
        "Package: rake\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n", 0644);
    put("/var/lib/dpkg/info/perl-base.list",
        "/usr/bin/perl\n" PB "/Exporter.pm\n" PB "/Carp.pm\n" PB "/File/Spec.pm\n" PB "/File/Spec/Unix.pm\n" PB "/Other.pm\n"
        PB "/strict.pm\n", 0644);
    put("/var/lib/dpkg/info/perl-modules-5.36.list",
        "/usr/share/perl/5.36\n" PL "/JSON/PP.pm\n" PL "/Unused.pm\n" PL "/Digest/base.pm\n", 0644);
    put("/var/lib/dpkg/info/libperl5.36:amd64.list",
        PA "/Encode.pm\n" PA "/Digest/SHA.pm\n" PA "/auto/Digest/SHA/SHA.so\n" PA "/auto/Other/Other.so\n", 0644);
    put("/var/lib/dpkg/info/libcpan-thing-perl.list",
        "/usr/share/perl5/CPAN/Thing.pm\n/usr/share/perl5/CPAN/Thing/Part.pm\n", 0644);
    put("/var/lib/dpkg/info/libruby3.1:amd64.list",
        "/usr/bin/ruby3.1\n" RL "/csv.rb\n" RL "/csv/parser.rb\n" RL "/forwardable.rb\n" RL "/never.rb\n" RA "/strscan.so\n"
        RL "/digest.rb\n" RA "/digest.so\n" RA "/digest/sha2.so\n" RL "/digest/sha2.rb\n" RA "/enc/encdb.so\n"
        RA "/enc/shift_jis.so\n" RL "/singleton.rb\n" RL "/erb.rb\n" RL "/heavyssl.rb\n" RL "/heavy2.rb\n" RL "/cheapmod.rb\n" RL "/midmod.rb\n" RL "/heavy3.rb\n"
        RA "/heavyssl.so\n" RA "/heavy2.so\n" RA "/enc/trans/transdb.so\n" RA "/enc/trans/single_byte.so\n"
        RA "/enc/trans/big5.so\n"
        "/usr/lib/ruby/gems/3.1.0/gems/prime-0.1.2/lib/prime.rb\n/usr/lib/ruby/gems/3.1.0/gems/prime-0.1.2/lib/prime/extra.rb\n",
        0644);
    put("/var/lib/dpkg/info/ruby-webrick.list",
        "/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick.rb\n"
        "/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/ssl.rb\n"
        "/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/https.rb\n"
        "/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/util3.rb\n", 0644);
    put("/var/lib/dpkg/info/rake.list",
        "/usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec\n"
        "/usr/share/rubygems-integration/all/gems/rake-13.0.6/lib/rake.rb\n", 0644);
    char *tmp = ds_xasprintf("%s/tmp", root);
    mkdir(tmp, 01777);
    free(tmp);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    ds_err e;
    ds_rmtree(root, &e);
    free(root);
    return 0;
}

static ds_closure *closure(const char *app, const char *interp) {
    char *text = ds_xasprintf(
        "{\"version\":1,\"files\":["
        "{\"path\":\"%s\",\"kind\":\"file\",\"ops\":[\"exec\"],\"ok\":true},"
        "{\"path\":\"%s\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"" PB "/strict.pm\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"" RA "/enc/encdb.so\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"" RL "/rubygems.rb\",\"kind\":\"file\",\"ops\":[\"open\"],\"ok\":true},"
        "{\"path\":\"/usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec\",\"kind\":\"file\","
        "\"ops\":[\"open\"],\"ok\":true}"
        "],\"execs\":[{\"path\":\"%s\",\"argv\":[\"x\"],\"ok\":true}],\"syscalls\":[\"read\"]}", interp, app, interp);
    ds_trace *t = NULL;
    ds_err e = {0};
    if (ds_trace_parse(text, strlen(text), "test trace", &t, &e) < 0) fail_msg("%s", e.msg);
    free(text);
    char *cmd[] = {(char *)interp, (char *)app};
    ds_minify_opts o = {.command = cmd, .n_command = 2, .path_env = "/usr/bin", .workdir = "/",
                        .keep_level = DS_KEEP_PACKAGE};
    ds_closure *c = NULL;
    if (ds_closure_compute(root, t, &o, &c, &e) < 0) fail_msg("%s", e.msg);
    ds_trace_free(t);
    return c;
}

#define KEPT(c, p) do { if (!ds_pathmap_get(&(c)->keep, p)) fail_msg("expected %s kept", p); } while (0)
#define DROPPED(c, p) do { if (ds_pathmap_get(&(c)->keep, p)) fail_msg("expected %s left out (%s)", p, ds_pathmap_get(&(c)->keep, p)); } while (0)

static const char *state_of(const ds_closure *c, const char *name) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(c->keep_level, "packages"), i, p)
        if (!strcmp(json_string_value(json_object_get(p, "name")), name)) return json_string_value(json_object_get(p, "state"));
    return "";
}

static void test_perl_package_level(void **state) {
    (void)state;
    ds_closure *c = closure("/srv/pl/app.pl", "/usr/bin/perl");
    /* the app's lazy require (inside a sub), with its XS part and parent class */
    KEPT(c, PA "/Digest/SHA.pm");
    KEPT(c, PA "/auto/Digest/SHA/SHA.so");
    KEPT(c, PL "/Digest/base.pm");
    DROPPED(c, PA "/auto/Other/Other.so");
    /* a CPAN package a kept file uses: whole; its sub's require followed (File::Spec, whose
     * computed require brings File/Spec/) */
    KEPT(c, "/usr/share/perl5/CPAN/Thing/Part.pm");
    KEPT(c, PB "/File/Spec.pm");
    KEPT(c, PB "/File/Spec/Unix.pm");
    assert_string_equal(state_of(c, "libcpan-thing-perl"), "whole");
    /* standard modules: not whole */
    DROPPED(c, PL "/Unused.pm");
    DROPPED(c, PB "/Other.pm");
    assert_string_equal(state_of(c, "perl-base"), "modules");
    assert_string_equal(state_of(c, "libperl5.36"), "modules");
    json_int_t mods = json_integer_value(
        json_object_get(json_object_get(c->keep_level, "rules"), "standard library modules (imported)"));
    assert_true(mods > 0);
    ds_closure_free(c);
}

static void test_ruby_package_level(void **state) {
    (void)state;
    ds_closure *c = closure("/srv/rb/app.rb", "/usr/bin/ruby3.1");
    /* the app's lazy requires (inside defs), and what those require at top level */
    KEPT(c, RL "/csv.rb");
    KEPT(c, RL "/csv/parser.rb");
    KEPT(c, RA "/strscan.so");
    KEPT(c, RL "/forwardable.rb");
    DROPPED(c, RL "/never.rb"); /* inside a def of a standard library */
    /* digest requires a computed name: its own directories, with the extension */
    KEPT(c, RA "/digest.so");
    KEPT(c, RA "/digest/sha2.so");
    KEPT(c, RL "/digest/sha2.rb");
    /* a bundled gem: its directory whole; encodings (loaded by name) */
    KEPT(c, "/usr/lib/ruby/gems/3.1.0/gems/prime-0.1.2/lib/prime/extra.rb");
    KEPT(c, RL "/singleton.rb");
    KEPT(c, RA "/enc/shift_jis.so");
    /* a gem package: whole; the app's require_relative */
    KEPT(c, "/usr/share/rubygems-integration/all/gems/webrick-1.8.1/lib/webrick/ssl.rb");
    KEPT(c, RL "/erb.rb");
    /* rubygems, loaded at start: whole, but the gem command's requires are not followed */
    KEPT(c, RL "/rubygems/commands/install_command.rb");
    DROPPED(c, RL "/openssl_never.rb");
    assert_string_equal(state_of(c, "libruby3.1"), "modules");
    assert_string_equal(state_of(c, "ruby-webrick"), "whole");
    /* an optional part's module: the cheap one kept, the heavy one left out and named;
     * one the app loads through a file read after it, kept */
    KEPT(c, RL "/cheapmod.rb");
    DROPPED(c, RL "/heavyssl.rb");
    DROPPED(c, RA "/heavyssl.so");
    DROPPED(c, RL "/midmod.rb");
    DROPPED(c, RL "/heavy3.rb");
    KEPT(c, RL "/heavy2.rb");
    KEPT(c, RA "/heavy2.so");
    size_t i;
    json_t *p;
    bool named = false, trans = false;
    json_array_foreach(json_object_get(c->keep_level, "plugins_left_out"), i, p) {
        const char *path = json_string_value(json_object_get(p, "path"));
        const char *hint = json_string_value(json_object_get(p, "hint"));
        assert_false(strstr(path, "heavy2"));
        if (!strcmp(path, RL "/heavyssl.rb")) {
            named = true;
            assert_true(json_integer_value(json_object_get(p, "adds_bytes")) >= 3 << 20);
            assert_string_equal(json_string_value(json_object_get(p, "package")), "ruby-webrick");
            assert_non_null(strstr(json_string_value(json_object_get(p, "required_by")), "/webrick/ssl.rb"));
            assert_string_equal(hint, "keep it with --keep " RL "/heavyssl.rb");
        }
        if (!strcmp(path, RA "/enc/trans")) {
            trans = true;
            assert_int_equal(json_integer_value(json_object_get(p, "adds_bytes")), 2);
            assert_string_equal(json_string_value(json_object_get(p, "package")), "libruby3.1");
        }
    }
    assert_true(named);
    /* the CJK transcoders out (named), the single-byte ones kept */
    assert_true(trans);
    KEPT(c, RA "/enc/trans/single_byte.so");
    DROPPED(c, RA "/enc/trans/big5.so");
    /* a gem whose specification alone was read: not whole */
    DROPPED(c, "/usr/share/rubygems-integration/all/gems/rake-13.0.6/lib/rake.rb");
    assert_string_equal(state_of(c, "rake"), "partial");
    ds_closure_free(c);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perl_statements),
        cmocka_unit_test(test_perl_xs),
        cmocka_unit_test(test_rb_statements),
        cmocka_unit_test(test_perl_package_level),
        cmocka_unit_test(test_ruby_package_level),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
