# hnbatch — plain Makefile.  make, make check, make install, make bench,
# make fuzz.
# Sanitizer builds: make check SANITIZE=address,undefined | SANITIZE=thread
# (each sanitizer builds into its own directory, so builds never mix).

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
VERSION := 0.1.0

CC      ?= cc
PKGS     = libcurl json-c
TESTPKGS = check libmicrohttpd

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -pthread -Iinclude \
           -DHNBATCH_VERSION='"$(VERSION)"' \
           $(shell pkg-config --cflags $(PKGS))
LDLIBS  += $(shell pkg-config --libs $(PKGS)) -pthread -lm

ifneq ($(SANITIZE),)
CFLAGS  += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=$(SANITIZE)
BUILD   ?= build/$(subst $(comma),-,$(SANITIZE))
else
BUILD   ?= build/plain
endif
comma := ,

SRC      = $(wildcard src/*.c)
OBJ      = $(patsubst src/%.c,$(BUILD)/src/%.o,$(SRC))
LIBOBJ   = $(filter-out $(BUILD)/src/main.o,$(OBJ))
TESTSRC  = $(wildcard tests/check_*.c)
TESTBIN  = $(patsubst tests/%.c,$(BUILD)/tests/%,$(TESTSRC))
TESTLIB  = $(patsubst tests/%.c,$(BUILD)/tests/%.o,$(filter-out $(TESTSRC) tests/hnfake.c,$(wildcard tests/*.c)))
TESTCFLAGS = $(shell pkg-config --cflags $(TESTPKGS))
TESTLIBS   = $(shell pkg-config --libs $(TESTPKGS))

all: hnbatch

hnbatch: $(BUILD)/hnbatch
	@if [ "$(BUILD)" = build/plain ]; then cp $< $@; fi

$(BUILD)/hnbatch: $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TESTCFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/check_%: $(BUILD)/tests/check_%.o $(TESTLIB) $(LIBOBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)

# hnfake: the fake HN API as a standalone server (make demo, manual tests).
$(BUILD)/hnfake: $(BUILD)/tests/hnfake.o $(TESTLIB) $(LIBOBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TESTLIBS) $(LDLIBS)

# Tests run the binary of the same build (HNBATCH_BIN) with fixtures from
# tests/fixtures; each test program is one module's suite. Each suite gets a
# token in HNBATCH_TEST_RUN that every process it starts inherits; a process
# still carrying it after the suite ended outlived its test: it is killed
# and the suite fails (tests/leftovers.sh).
check: checksrc $(BUILD)/hnbatch $(BUILD)/hnfake $(TESTBIN)
	@fail=""; for t in $(TESTBIN); do \
	  echo "== $$t"; tok="$(CURDIR)/$$t:$$$$"; \
	  HNBATCH_TEST_RUN=$$tok \
	  HNBATCH_BIN=$(CURDIR)/$(BUILD)/hnbatch HNFAKE_BIN=$(CURDIR)/$(BUILD)/hnfake \
	  HNBATCH_SRC=$(CURDIR) HNBATCH_FIXTURES=$(CURDIR)/tests/fixtures \
	    $$t >$$t.log 2>&1; rc=$$?; \
	  tests/leftovers.sh "$$tok" >>$$t.log 2>&1 || rc=1; cat $$t.log; \
	  [ $$rc -eq 0 ] || fail="$$fail $$t"; \
	done; \
	if [ -n "$$fail" ]; then \
	  for t in $$fail; do \
	    echo "== FAILED: $$t (its failures again; whole log in $$t.log)"; \
	    grep -E ':[FE]:|Sanitizer|^[0-9]+%:|timeout|Timeout|^leftover' $$t.log | cut -c1-600 | tail -40; \
	  done; \
	  echo "make check: FAILED:$$fail"; exit 1; \
	fi

# Fuzzing: the libFuzzer harnesses of tests/fuzz/ (one per parser of
# outside input), built with clang, ASan and UBSan into build/fuzz/, each run
# for FUZZ_SECONDS on its corpus (build/fuzz/corpus/NAME, kept between runs)
# and seeds made from tests/fixtures (scripts/fuzz-seeds). A crash, leak,
# sanitizer report or failed oracle stops the target with its input saved
# as build/fuzz/crash-* (replay: build/fuzz/fuzz_NAME FILE), and make fails.
FUZZ_SECONDS ?= 60
FUZZCC   ?= clang
FUZZDIR   = build/fuzz
FUZZFLAGS = -g -O1 -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE -pthread \
            -fsanitize=address,undefined -fno-sanitize-recover=undefined \
            -Iinclude -DHNBATCH_VERSION='"$(VERSION)"' \
            $(shell pkg-config --cflags json-c)
FUZZSRC   = $(wildcard tests/fuzz/fuzz_*.c)
FUZZBIN   = $(patsubst tests/fuzz/%.c,$(FUZZDIR)/%,$(FUZZSRC))
FUZZOBJ   = $(patsubst %,$(FUZZDIR)/src/%.o,ids item jsoncheck state \
            alert_spool text log clock sse fbstream \
            statefile u64set fileutil)

$(FUZZDIR)/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZDIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZOBJ)
	$(FUZZCC) $(FUZZFLAGS) -fsanitize=fuzzer -o $@ $^ \
	  $(shell pkg-config --libs json-c) -lm

fuzz-build: $(FUZZBIN)

fuzz: $(FUZZBIN)
	@scripts/fuzz-seeds $(FUZZDIR)/seeds
	@for t in $(FUZZBIN); do \
	  n=$${t#$(FUZZDIR)/fuzz_}; mkdir -p $(FUZZDIR)/corpus/$$n; \
	  echo "== $$t: $(FUZZ_SECONDS) s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=16384 \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -dict=tests/fuzz/json.dict -artifact_prefix=$(FUZZDIR)/ \
	    $(FUZZDIR)/corpus/$$n $(FUZZDIR)/seeds/$$n \
	    >$(FUZZDIR)/$$n.log 2>&1 \
	    || { tail -60 $(FUZZDIR)/$$n.log; echo "make fuzz: $$t FAILED" \
	         "(log: $(FUZZDIR)/$$n.log)"; exit 1; }; \
	  grep -E '^#[0-9]+.*DONE|^Done' $(FUZZDIR)/$$n.log | tail -2; \
	done

# The house style that a script can see (scripts/checksrc: FILE:LINE:
# problem); make check runs it first.
checksrc:
	scripts/checksrc

# make bench: the batch crawl beside the asyncio original and curl
# (scripts/bench), then --watch beside --period over the same changes
# (scripts/bench-watch; BENCH_WATCH=0 leaves it out).
bench: hnbatch $(BUILD)/hnfake
	scripts/bench
	@[ "$(BENCH_WATCH)" = 0 ] || HNBATCH=$(CURDIR)/$(BUILD)/hnbatch \
	  HNFAKE=$(CURDIR)/$(BUILD)/hnfake scripts/bench-watch

demo: $(BUILD)/hnbatch $(BUILD)/hnfake
	HNBATCH_BIN=$(CURDIR)/$(BUILD)/hnbatch HNFAKE_BIN=$(CURDIR)/$(BUILD)/hnfake scripts/demo

install: hnbatch
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR)
	install -m 755 hnbatch $(DESTDIR)$(BINDIR)/hnbatch
	install -m 644 hnbatch.1 $(DESTDIR)$(MANDIR)/man1/hnbatch.1
	install -m 644 scripts/hnbatch.bash-completion $(DESTDIR)$(COMPDIR)/hnbatch

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/hnbatch $(DESTDIR)$(MANDIR)/man1/hnbatch.1 \
	      $(DESTDIR)$(COMPDIR)/hnbatch

clean:
	rm -rf build hnbatch

.PHONY: all hnbatch check checksrc fuzz fuzz-build bench demo install \
        uninstall clean
-include $(OBJ:.o=.d) $(TESTBIN:=.d) $(TESTLIB:.o=.d) $(FUZZOBJ:.o=.d) $(BUILD)/tests/hnfake.d

# Keep the test objects between runs (make would delete them as intermediates).
.SECONDARY:
