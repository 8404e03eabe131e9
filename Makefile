# loadgen: explicit sources, warnings as errors, sanitizer builds.
CC      ?= cc
PKGS    := librabbitmq libevent libevent_pthreads yaml-0.1 jansson zlib libnetfilter_queue openssl sqlite3 libpcre2-8
OPT     ?= -O2 -g
# pkg-config runs when a recipe first needs the flags, not when make parses
# this file: on a bare machine `make run` installs the packages first (deps),
# and flags read at parse time would be empty. Each is computed once.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS)))$(PKG_LIBS)
# -MMD -MP: each object's header dependencies, so a header change rebuilds
# only the files that include it.
CFLAGS  = $(OPT) -MMD -MP -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude $(PKG_CFLAGS)
LDLIBS  = $(PKG_LIBS) -lpthread -lm
PYTEST  := /usr/bin/python3 -m pytest
Q       := $(if $(V),,@)

# Every source of every folder (docs/development.md "Code map"); a new file needs
# no edit here.
SRC := $(sort $(wildcard loadgen/*/*.c loadgen/*/*/*.c))
# Pure modules, also linked into the C unit tests.
LIBSRC := loadgen/base/util.c loadgen/base/crc.c loadgen/base/proc.c loadgen/base/units.c loadgen/base/hist.c loadgen/report/hdrfmt.c \
          loadgen/engine/msg.c loadgen/check/ledger.c loadgen/config/schedule.c loadgen/check/gates.c \
          loadgen/contract/run_schema.c loadgen/engine/stats.c loadgen/report/junit.c loadgen/report/svg.c \
          loadgen/config/config.c loadgen/config/config_options.c loadgen/config/config_json.c loadgen/config/config_broker.c loadgen/config/config_usage.c loadgen/config/config_topo.c loadgen/config/config_instance.c loadgen/config/topo.c loadgen/check/route.c \
          loadgen/scenario/partition.c loadgen/capacity/capacity.c loadgen/check/ledger_file.c \
          loadgen/check/effect_ledger.c loadgen/base/template.c loadgen/base/http_resp.c \
          loadgen/base/lgre.c loadgen/check/ledger_union.c loadgen/base/jsoncap.c loadgen/config/tls_files.c \
          loadgen/engine/rxframes.c
TESTSRC := tests/unit/unit.c tests/unit/test_units.c tests/unit/test_hist.c tests/unit/test_crc.c tests/unit/test_msg.c tests/unit/test_ledger.c tests/unit/test_gates.c tests/unit/test_junit.c tests/unit/test_run_schema.c tests/unit/test_config.c tests/unit/test_route.c tests/unit/test_topo.c tests/unit/test_partition.c tests/unit/test_capacity.c tests/unit/test_ledger_file.c tests/unit/test_effects.c tests/unit/test_http_resp.c tests/unit/test_rxframes.c

# Fuzz targets (tests/fuzz): libFuzzer's entry point, run by driver.c for
# a fixed number of mutations, always with ASan and UBSan.
FUZZSRC   := tests/fuzz/fuzz_ledger.c tests/fuzz/seeds_ledger.c tests/fuzz/driver.c
FUZZ_OPT  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_RUNS ?= 20000
FUZZ_SEED ?= 1

OBJ      := $(SRC:%.c=obj/%.o)
# The commit labels every report; report.o is rebuilt when HEAD moves.
COMMIT   := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
GITREFS  := $(wildcard .git/HEAD .git/refs/heads/*)
TESTOBJ  := $(TESTSRC:%.c=obj/%.o) $(LIBSRC:%.c=obj/%.o)

.PHONY: all run test test-extra unit soak asan asan-build bench clean format deps fuzz fuzz-run

all: bin/loadgen bin/unit-tests bin/bench-effects bin/http-server bin/bench-wake

bin/loadgen: $(OBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench/run-bench's effect matching figure (not a test)
bin/http-server: bench/http_server.c
	@mkdir -p bin
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $< -lpthread

bin/bench-wake: bench/wake_floor.c
	@mkdir -p bin
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

bin/bench-effects: obj/bench/effects_match.o $(LIBSRC:%.c=obj/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bin/unit-tests: $(TESTOBJ)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

deps:
	scripts/install-deps

# The README's two commands. Both install the packages, then build in a
# sub-make, so nothing is compiled before the headers and libraries exist.
run: deps
	$(MAKE) all
	bin/loadgen bench --duration 20s --rate 5000 --producers 2 --consumers 2 --confirm 128 \
	    --persistent --durable --report-dir reports/last-run

test: deps
	$(MAKE) all unit fuzz-run
	scripts/check-include-cycles --objects obj/loadgen
	$(PYTEST) -q -m "not extra" tests

# What the default suite leaves out for time: the shipped scenarios whose
# coverage a faster test repeats, and three of the cluster scenarios.
test-extra: deps
	$(MAKE) all
	$(PYTEST) -q -m extra tests

# The false-alarm soak: every safe scenario in tests/soak, the shipped safe ones
# of tests/soak/test_soak.py:SHIPPED_SAFE, and every shipped
# unsafe one, SOAK_RUNS times each (about 70 minutes for 5 runs), then the
# table of verdicts.
SOAK_RUNS ?= 5
soak: deps
	$(MAKE) all
	rm -f reports/soak.jsonl
	cp bin/loadgen reports/.soak-loadgen  # a rebuild during the soak must not change what it tests
	LOADGEN_BIN=$(CURDIR)/reports/.soak-loadgen \
	LOADGEN_SOAK=1 LOADGEN_SOAK_RUNS=$(SOAK_RUNS) LOADGEN_SOAK_OUT=$(CURDIR)/reports/soak.jsonl \
	    $(PYTEST) -q tests/soak; st=$$?; tests/soak/table.py reports/soak.jsonl; exit $$st

unit: bin/unit-tests
	bin/unit-tests

# The merge's ledger path under hostile bytes: FUZZ_RUNS mutations (20,000 in
# `make test`, a few seconds); `make fuzz` runs a million from another seed.
fuzz-run: bin/fuzz-ledger
	ASAN_OPTIONS=detect_leaks=1 bin/fuzz-ledger -runs=$(FUZZ_RUNS) -seed=$(FUZZ_SEED)

fuzz:
	$(MAKE) fuzz-run FUZZ_RUNS=1000000 FUZZ_SEED=$$(date +%s)

bin/fuzz-ledger: $(FUZZSRC:%.c=obj-fuzz/%.o) $(LIBSRC:%.c=obj-fuzz/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(FUZZ_OPT) $(LDFLAGS) -o $@ $^ $(LDLIBS)

obj-fuzz/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC $< (fuzz)")
	$(Q)$(CC) $(CFLAGS) $(FUZZ_OPT) -c -o $@ $<

# ASan+UBSan build in its own tree; runs the unit tests and the pytest suite
# against the instrumented binary.
asan:
	$(MAKE) OBJDIR=obj-asan OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all" \
	    BIN=bin/asan asan-build
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 bin/asan/unit-tests
	$(MAKE) fuzz-run
	LOADGEN_BIN=$(CURDIR)/bin/asan/loadgen ASAN_OPTIONS=detect_leaks=1 $(PYTEST) -q -m "not slow and not extra" tests

asan-build: $(BIN)/loadgen $(BIN)/unit-tests

$(BIN)/loadgen: $(SRC:%.c=$(OBJDIR)/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/unit-tests: $(TESTSRC:%.c=$(OBJDIR)/%.o) $(LIBSRC:%.c=$(OBJDIR)/%.o)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(V),,echo "  CC $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

obj/loadgen/report/report.o $(OBJDIR)/loadgen/report/report.o: CFLAGS += -DLOADGEN_COMMIT='"$(COMMIT)"'
obj/loadgen/report/report.o $(OBJDIR)/loadgen/report/report.o: $(GITREFS)

# The header dependencies -MMD wrote (none before the first build).
-include $(OBJ:.o=.d) $(TESTOBJ:.o=.d) $(patsubst %.c,obj-fuzz/%.d,$(FUZZSRC) $(LIBSRC)) $(if $(OBJDIR),$(patsubst %.c,$(OBJDIR)/%.d,$(SRC) $(TESTSRC) $(LIBSRC)))

bench: all
	bench/run-bench

format:
	clang-format -i $(SRC) $(wildcard loadgen/*/*.h) include/*.h tests/unit/*.c tests/unit/*.h

clean:
	rm -rf obj obj-asan obj-fuzz bin
