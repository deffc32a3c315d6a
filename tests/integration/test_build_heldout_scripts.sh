#!/usr/bin/env bash
# Held-out actions on Perl and Ruby apps: their standard libraries are kept at module level
# at --keep-level package (the modules loaded, and what those load), so a route that
# requires a standard module lazily, in its handler, must still work. Two real stacks
# from Debian packages (tests/fixtures/heldout/): a Perl app on IO::Socket (perl 5.36) and
# a Ruby app on WEBrick (ruby3.1, ruby-webrick). The traced test asks for / only; each
# other route requires something the traced run never loaded (JSON::PP, Digest::SHA's XS,
# Time::Piece, MIME::Base64, the app's own module; csv, digest, json, prime, the app's own
# file). At package level every action passes; at file level they fail, and the file
# level's report lacks the files they need. The standard library packages are kept as
# modules, not whole.
# HELDOUT_REPORTS=DIR keeps each report.json there; HELDOUT_SUMMARY=FILE appends
# "fixture level passed total" lines and sizes/timings there.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v runc >/dev/null || ! command -v podman >/dev/null \
   || ! command -v skopeo >/dev/null; then
  fail "heldout scripts: needs root, runc, podman and skopeo"; exit 0
fi
HO=$FIXTURE/heldout
PL=18840 RB=18850
HO_NAME=hoscripts
. "$(dirname "$0")/heldout_lib.sh"

# modules LABEL PKG...: at package level PKG is kept as modules (not whole, not dropped).
modules() {
  local label=$1 p; shift
  for p in "$@"; do
    check "$label package: $p is kept at module level (state modules)" \
      jqq --arg p "$p" 'any(.keep_level.packages[]; .name == $p and .state == "modules" and .kept_bytes < .bytes)' \
      "$T/$label-package/rep/report.json"
  done
  check "$label package: the standard library modules have their rule's bytes" \
    jqq '.keep_level.rules["standard library modules (imported)"] > 0' "$T/$label-package/rep/report.json"
}

# run LABEL IMAGE PORT HOME_TEXT ACTIONS...: both levels, the actions on each.
run() {
  local label=$1 img=$2 port=$3 home=$4 level; shift 4
  warm "$img"
  for level in ${HO_LEVELS:-package file}; do
    build $label "$img" $level "curl -fsS http://{LOCALHOST}:$port/ | grep -q '$home'" || continue
    if start $label $level "curl -fsS http://127.0.0.1:$port/"; then actions $label $level "$@"
    else fail "$label $level: the result did not start under podman"; fi
    stop $label $level
  done
}

# ---------------------------------------------------------------- Perl
perl=$(debian_image heldout-perl --include perl,ca-certificates \
  --cmd "[\"perl\",\"/srv/perlapp/app.pl\",\"$PL\"]" --port $PL/tcp \
  --hook "sh $HO/perl-hook.sh \"\$1\"") || fail "heldout scripts: fixture heldout-perl"
U=http://127.0.0.1:$PL
PERL_ACTIONS=(
  "JSON::PP (pure-Perl standard module)|curl -fsS $U/json | grep -q '\"app\":\"perl\"'"
  "Digest::SHA (XS standard module, auto/Digest/SHA/SHA.so)|printf abc | curl -fsS --data-binary @- $U/sha | grep -q ba7816bf8f01cfea"
  "Time::Piece (XS, use parent)|curl -fsS '$U/time?2024-03-01' | grep -qx 60"
  "MIME::Base64 (perl-base XS)|printf hello | curl -fsS --data-binary @- $U/b64 | grep -q aGVsbG8="
  "the app's own module (List::Util, POSIX, Text::Wrap)|curl -fsS $U/report | grep -q 'mean 2 max 3'"
)
if [ -n "${perl:-}" ]; then
  run perl "$perl" $PL 'perl heldout home' "${PERL_ACTIONS[@]}"
  lacks perl /usr/share/perl/5.36.0/JSON/PP.pm /usr/lib/x86_64-linux-gnu/perl/5.36.0/auto/Digest/SHA/SHA.so \
    /usr/lib/x86_64-linux-gnu/perl/5.36.0/Time/Piece.pm /usr/lib/x86_64-linux-gnu/perl-base/Text/Wrap.pm
  modules perl perl-modules-5.36 libperl5.36 perl-base
fi

# ---------------------------------------------------------------- Ruby
ruby=$(debian_image heldout-ruby-webrick --include ruby3.1,ruby-webrick,ca-certificates \
  --cmd "[\"ruby\",\"/srv/rubyapp/app.rb\",\"$RB\"]" --port $RB/tcp \
  --hook "sh $HO/ruby-hook.sh \"\$1\"") || fail "heldout scripts: fixture heldout-ruby-webrick"
R=http://127.0.0.1:$RB
RUBY_ACTIONS=(
  "csv (a default gem)|curl -fsS $R/csv | grep -q 'ruby,heldout,42'"
  "digest (C extensions, Digest::SHA256 loaded by a computed name)|printf abc | curl -fsS --data-binary @- $R/digest | grep -q ba7816bf8f01cfea"
  "json (json/ext C extensions)|curl -fsS $R/json | grep -q '\"app\":\"ruby\"'"
  "prime (a bundled gem, found by rubygems)|curl -fsS $R/prime | grep -qx '2 3 5 7 11'"
  "the app's own file (set, erb)|curl -fsS $R/report | grep -q 'report: 3 values, max 3'"
  "a Windows-1252 request body (a transcoder, enc/trans/single_byte.so)|printf 'caf\\351 \\200' | curl -fsS --data-binary @- $R/latin1 | grep -q '6 chars: café €'"
)
if [ -n "${ruby:-}" ]; then
  run ruby "$ruby" $RB 'ruby heldout home' "${RUBY_ACTIONS[@]}"
  lacks ruby /usr/lib/ruby/3.1.0/csv.rb /usr/lib/x86_64-linux-gnu/ruby/3.1.0/digest/sha2.so \
    /usr/lib/x86_64-linux-gnu/ruby/3.1.0/json/ext/parser.so /usr/lib/ruby/3.1.0/set.rb
  modules ruby libruby3.1
  # Optional parts of ruby-webrick that the app never loaded (ssl.rb, httpproxy.rb) bring
  # neither OpenSSL (5.4 MB) nor net/http; the CJK and emoji transcoders stay out; each is
  # named with its --keep hint, and the hints work.
  R_PKG=$T/ruby-package/rep/report.json
  for m in /usr/lib/ruby/3.1.0/openssl.rb /usr/lib/ruby/3.1.0/net/http.rb /usr/lib/x86_64-linux-gnu/ruby/3.1.0/enc/trans; do
    check "ruby package: $m is named as left out, with its --keep hint and bytes" \
      jqq --arg m "$m" 'any(.keep_level.plugins_left_out[]; .path == $m and .adds_bytes > 0 and (.hint | endswith("--keep " + $m)))' "$R_PKG"
  done
  check "ruby package: no OpenSSL library kept" jqq 'all(.kept[]; .path | test("libssl|libcrypto") | not)' "$R_PKG"
  check "ruby package: the Windows-1252 transcoder kept, Big5's not" \
    jqq 'any(.kept[]; .path | endswith("enc/trans/single_byte.so")) and all(.kept[]; .path | endswith("enc/trans/big5.so") | not)' "$R_PKG"
  check "ruby package: at most 1.5x the file level" \
    sh -c "[ \$(jq .after.size '$R_PKG') -le \$(( \$(jq .after.size '$T/ruby-file/rep/report.json') * 3 / 2 )) ]"
  build ruby-hints "$ruby" package "curl -fsS http://{LOCALHOST}:$RB/ | grep -q 'ruby heldout home'" \
    --keep /usr/lib/ruby/3.1.0/openssl.rb --keep /usr/lib/x86_64-linux-gnu/ruby/3.1.0/enc/trans
  R_HINT=$T/ruby-hints-package/rep/report.json
  check "ruby hints: --keep openssl.rb brings its extension and OpenSSL's libraries" \
    jqq 'any(.kept[]; .path | endswith("/openssl.so")) and any(.kept[]; .path | test("/libssl[.]so"))' "$R_HINT"
  check "ruby hints: --keep enc/trans brings the Big5 transcoder" jqq 'any(.kept[]; .path | endswith("enc/trans/big5.so"))' "$R_HINT"
  check "ruby hints: neither is named as left out any more" \
    jqq 'all(.keep_level.plugins_left_out[]; .path | test("openssl.rb|enc/trans$") | not)' "$R_HINT"
fi

for l in package file; do
  for s in $(cat "$T"/*-$l.seconds 2>/dev/null); do echo "$l seconds $s"; done >> "$SUMMARY"
done
for f in "$T"/*-package/rep/report.json "$T"/*-file/rep/report.json; do
  [ -f "$f" ] || continue
  n=$(basename "$(dirname "$(dirname "$f")")")
  echo "$n bytes $(jq .after.size "$f") $(jq .before.size "$f") seconds $(cat "$T/$n.seconds")" >> "$SUMMARY"
done
echo "  held-out actions: ${PASSED[package]:-0} of ${TOTAL[package]:-0} pass at package level, ${PASSED[file]:-0} of ${TOTAL[file]:-0} at file level"
if [ -n "${HELDOUT_REPORTS:-}" ]; then
  mkdir -p "$HELDOUT_REPORTS"
  for f in "$T"/*-package/rep/report.json "$T"/*-file/rep/report.json; do
    [ -f "$f" ] && cp "$f" "$HELDOUT_REPORTS/$(basename "$(dirname "$(dirname "$f")")").json"
  done
fi
