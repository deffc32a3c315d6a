# distill — build, test, fuzz, bench.
# Sources are found by wildcard so that each module can grow without touching this file.
#   src/cli/*.c            the distill command (the only code that prints or exits)
#   src/trace/sensor/*.c   the static sensor binary (distill-sensor)
#   src/**/*.c (the rest)  libdistill: everything the commands call
CC      ?= cc
PKGS    := libarchive libcurl jansson libseccomp libelf libzstd libdeflate openssl yaml-0.1 zlib sqlite3
CSTD    := -std=c17 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
WARN    := -Wall -Wextra -Werror -Wno-unused-parameter
# Asked of pkg-config when make parses this file: the entry points below (test, demo, ...)
# install the libraries first and then run a second make, which parses it again.
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS_RAW := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_LIBS   := $(PKG_LIBS_RAW) -lpthread
# A link without the libraries would fail with a thousand undefined references: say why instead.
NEED_LIBS = @test -n "$(strip $(PKG_LIBS_RAW))" || { echo "make: pkg-config finds no $(PKGS): run 'make deps' (or 'bash scripts/install-deps.sh') first" >&2; exit 1; }
VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

LIB_SRC    := $(filter-out src/cli/% src/trace/sensor/%,$(wildcard src/*/*.c src/*/*/*.c))
CLI_SRC    := $(wildcard src/cli/*.c)
SENSOR_SRC := $(wildcard src/trace/sensor/*.c)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)

# Release build: build/, test build with sanitizers: build/asan/.
B  ?= build
BA := $(B)/asan
BF := $(B)/fuzz
REL_FLAGS  := -O2 -g
ASAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

CFLAGS_ALL = $(CSTD) $(WARN) -Isrc $(PKG_CFLAGS) -DDISTILL_VERSION=\"$(VERSION)\"

.PHONY: all asan test unit integration valgrind fuzz fuzz-run bench demo deps deps-demo clean install
all: $(B)/distill $(B)/distill-sensor $(B)/libdistill.a

# Everything (tests included), or only what the demo needs (scripts/install-deps.sh lists both).
deps:
	@bash scripts/install-deps.sh
deps-demo:
	@bash scripts/install-deps.sh --demo

# --- release -------------------------------------------------------------
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(CFLAGS_ALL) $(REL_FLAGS) -MMD -MP -c $< -o $@
# Objects are linked directly, not through an archive: ar keys members by basename,
# so src/a/x.c and src/b/x.c would silently replace each other.
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(BA)/obj/%.o)
FUZZ_OBJ := $(LIB_SRC:%.c=$(BF)/obj/%.o)
# Kept between runs: make would treat them as intermediate files and delete them after linking.
.SECONDARY: $(FUZZ_OBJ) $(ASAN_OBJ)
# For small drivers in tests and benches: a thin archive keeps full member paths.
$(B)/libdistill.a: $(LIB_OBJ)
	@rm -f $@; ar rcsT $@ $^
$(B)/distill: $(CLI_SRC:%.c=$(B)/obj/%.o) $(LIB_OBJ)
	$(NEED_LIBS)
	$(CC) $(REL_FLAGS) -o $@ $^ $(PKG_LIBS)
# The sensor is bind-mounted into images of any distro, so it links statically and uses no library.
$(B)/distill-sensor: $(SENSOR_SRC)
	@mkdir -p $(B)
	$(CC) $(CSTD) $(WARN) -Isrc -O2 -static -o $@ $(SENSOR_SRC)
# The same sensor for aarch64 (Debian's gcc-aarch64-linux-gnu), run under qemu by test_trace_aarch64.sh.
AARCH64_CC ?= aarch64-linux-gnu-gcc
.PHONY: sensor-aarch64
sensor-aarch64: $(B)/aarch64/distill-sensor
$(B)/aarch64/distill-sensor: $(SENSOR_SRC) $(wildcard src/trace/sensor/*.h)
	@mkdir -p $(dir $@)
	$(AARCH64_CC) $(CSTD) $(WARN) -Isrc -O2 -static -o $@ $(SENSOR_SRC)

# And for s390x (big endian; Debian's gcc-s390x-linux-gnu), run under qemu by test_trace_s390x.sh.
S390X_CC ?= s390x-linux-gnu-gcc
.PHONY: sensor-s390x
sensor-s390x: $(B)/s390x/distill-sensor
$(B)/s390x/distill-sensor: $(SENSOR_SRC) $(wildcard src/trace/sensor/*.h)
	@mkdir -p $(dir $@)
	$(S390X_CC) $(CSTD) $(WARN) -Isrc -O2 -static -o $@ $(SENSOR_SRC)

# --- sanitizers (unit tests) -----------------------------------------------
$(BA)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC asan $<'
	@$(CC) $(CFLAGS_ALL) $(ASAN_FLAGS) -MMD -MP -c $< -o $@
$(BA)/tests/%: tests/unit/%.c $(ASAN_OBJ)
	$(NEED_LIBS)
	@mkdir -p $(dir $@)
	@echo '  LD asan $@'
	@$(CC) $(CFLAGS_ALL) $(ASAN_FLAGS) -o $@ $< $(ASAN_OBJ) $(PKG_LIBS) -lcmocka
$(B)/tests/%: tests/unit/%.c $(LIB_OBJ)
	$(NEED_LIBS)
	@mkdir -p $(dir $@)
	@echo '  LD      $@'
	@$(CC) $(CFLAGS_ALL) $(REL_FLAGS) -o $@ $< $(LIB_OBJ) $(PKG_LIBS) -lcmocka
asan: $(UNIT_SRC:tests/unit/%.c=$(BA)/tests/%)
unit-release: $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)

# --- test: installs what it needs, runs unit tests under ASan+UBSan, then integration tests.
# Each entry point installs the dependencies (demo: only its own), then runs make again for the
# real work: this make parsed the file (and asked pkg-config) before the install, so its
# PKG_LIBS may be empty.
ENTRY_POINTS := test unit integration valgrind fuzz fuzz-run bench
.PHONY: $(ENTRY_POINTS) $(ENTRY_POINTS:%=do-%) do-demo
$(ENTRY_POINTS): deps
	@$(MAKE) --no-print-directory do-$@
demo: deps-demo
	@$(MAKE) --no-print-directory do-demo
do-test: all asan
	@bash tests/run-tests.sh
do-unit: asan
	@bash tests/run-tests.sh --unit-only
do-integration: all
	@bash tests/run-tests.sh --integration-only
do-valgrind: unit-release
	@bash tests/run-valgrind.sh

# --- fuzzing (libFuzzer, clang) --------------------------------------------
FUZZ_FLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined
$(BF)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC fuzz $<'
	@clang $(CFLAGS_ALL) -Wno-unknown-warning-option $(FUZZ_FLAGS) -c $< -o $@
$(BF)/%: tests/fuzz/%.c $(FUZZ_OBJ)
	$(NEED_LIBS)
	@echo '  LD fuzz $@'
	@clang $(CFLAGS_ALL) -fsanitize=fuzzer,address,undefined -g -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)
do-fuzz: $(FUZZ_SRC:tests/fuzz/%.c=$(BF)/%)
do-fuzz-run: do-fuzz
	@bash tests/fuzz/run-all.sh $(or $(FUZZ_SECONDS),20)

do-bench: all
	@bash bench/run-all.sh

do-demo: all
	@bash scripts/demo.sh

install: all
	install -D -m 0755 $(B)/distill $(DESTDIR)/usr/local/bin/distill
	install -D -m 0755 $(B)/distill-sensor $(DESTDIR)/usr/local/libexec/distill/distill-sensor
	install -d $(DESTDIR)/usr/local/share/man/man1
	install -m 0644 docs/man/*.1 $(DESTDIR)/usr/local/share/man/man1/

clean:
	rm -rf $(B)/obj $(B)/aarch64 $(B)/asan $(B)/fuzz $(B)/tests $(B)/distill $(B)/distill-sensor $(B)/libdistill.a

# Only the compiler's dependency files (build/cache holds unpacked image trees with *.d dirs).
-include $(shell find $(B)/obj $(BA)/obj $(BF)/obj -name '*.d' -type f 2>/dev/null)
