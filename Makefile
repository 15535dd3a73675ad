# prodd -- build, run and test. GNU make.
#
#   make            build build/prodd, build/prodctl, build/prodd-demo
#   make run        install missing packages, build, run prodd on etc/services.yaml
#   make test       install missing packages, build, run every test: the
#                   plain build (unit tests under valgrind), then ASan+UBSan,
#                   both whatever the first gave; ends with "all builds: ..."
#   make check      the tests of one build (BUILD=..., SANITIZE=...)
#   make deps       install the Debian packages the build and tests need
#   make SANITIZE=address,undefined   sanitized build, in build/sanitize
#   make clean

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local

ifdef SANITIZE
BUILD ?= build/sanitize
SANFLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS :=
endif

WARNINGS := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings -Wpointer-arith -Wundef
ifdef CI
WARNINGS += -Werror
endif

ALL_PKGS := libuv yaml-0.1 libcurl libcjson libwebsockets libsystemd
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(ALL_PKGS) 2>/dev/null)
libs = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)

OPT ?= -O2 -g
CPPFLAGS += -Iinclude -D_GNU_SOURCE
CFLAGS += -std=c11 $(OPT) $(WARNINGS) $(SANFLAGS) $(PKG_CFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)

COMMON_SRC := $(wildcard src/common/*.c)
CORE_SRC := $(wildcard src/core/*.c)
DAEMON_SRC := $(wildcard src/daemon/*.c)
CTL_SRC := $(wildcard src/ctl/*.c)
DEMO_SRC := $(wildcard src/demo/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_LIB := $(BUILD)/libprodd-common.a
CORE_LIB := $(BUILD)/libprodd-core.a
PROGRAMS := $(BUILD)/prodd $(BUILD)/prodd-exec $(BUILD)/prodctl $(BUILD)/prodd-demo
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps run test check unit integration bench clean install
all: $(PROGRAMS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

# libcurl is not linked: prodd loads it at the first url check
# (src/daemon/curl-lazy.c); its headers are still needed to build.
# libsystemd is: sd_notify and the journal (sdnotify.c, journal.c).
PRODD_PKGS := $(filter-out libcurl,$(ALL_PKGS))
$(BUILD)/prodd: $(call obj,$(DAEMON_SRC)) $(CORE_LIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,$(PRODD_PKGS)) -ldl -lm

# The exec helper links nothing but libc: it is exec'd at every spawn.
$(BUILD)/prodd-exec: $(BUILD)/obj/src/exec/prodd-exec.o
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/prodctl: $(call obj,$(CTL_SRC)) $(CORE_LIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,libcurl libcjson yaml-0.1) -lm

$(BUILD)/prodd-demo: $(call obj,$(DEMO_SRC)) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,libuv) -pthread -lm

# logs.c is a daemon (shell) module, outside the libraries.
$(BUILD)/tests/test_logs: $(BUILD)/obj/tests/unit/test_logs.o $(BUILD)/obj/src/daemon/logs.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka yaml-0.1 libcjson) -lm

# demo-head.c, prodd-demo's request-head parser, is outside the libraries.
$(BUILD)/tests/test_demo_head: $(BUILD)/obj/tests/unit/test_demo_head.o $(BUILD)/obj/src/demo/demo-head.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka) -lm

# sdnotify.c and journal.c are daemon leaves on libuv and libsystemd.
$(BUILD)/tests/test_sdnotify: $(BUILD)/obj/tests/unit/test_sdnotify.o $(BUILD)/obj/src/daemon/sdnotify.o $(BUILD)/obj/src/daemon/journal.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka libuv libsystemd libcjson) -lm

# spawn.c is a daemon leaf on libc and pthreads alone.
$(BUILD)/tests/test_spawn: $(BUILD)/obj/tests/unit/test_spawn.o $(BUILD)/obj/src/daemon/spawn.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka yaml-0.1 libcjson) -pthread -lm

# loopcheck.c is common code on libuv.
$(BUILD)/tests/test_loopcheck: $(BUILD)/obj/tests/unit/test_loopcheck.o $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka libuv) -lm

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka yaml-0.1 libcjson) -lm

# the cheapest service there is: static, no dynamic loader
$(BUILD)/bench/idle: $(BUILD)/obj/bench/idle.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static -o $@ $^

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,yaml-0.1 libcjson) -lm

# Installs only what is missing; silent when everything is there.
deps:
	@sh packaging/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/prodd -c etc/services.yaml --log-format text

# The tests of one build: unit tests, then black-box tests of the binaries.
check: all $(UNIT_TESTS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run.sh

unit: $(UNIT_TESTS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) ONLY=unit bash tests/run.sh

integration: all
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) ONLY=integration bash tests/run.sh

# Everything: the plain build (with valgrind), then ASan+UBSan, the second
# even when the first failed (to build or a test); each compiled on every
# core. The last line is always summary.sh's "all builds: N passed, M
# failed" (a build that left no results counts as a failure), and the
# status is 1 when anything failed.
NPROC := $(shell nproc 2>/dev/null || echo 2)
test: deps
	@rm -f build/test-summary build/sanitize/test-summary; rc=0; \
	$(MAKE) --no-print-directory -j$(NPROC) check VALGRIND=1 || rc=1; \
	$(MAKE) --no-print-directory -j$(NPROC) check SANITIZE=address,undefined || rc=1; \
	bash tests/summary.sh build build/sanitize || rc=1; \
	exit $$rc

# Every benchmark, one after the other (~30 minutes, bench/ws.sh's 10-minute
# RSS run included); results in bench/README.md.
bench: all
	sh bench/config.sh
	sh bench/supervise.sh
	bash bench/api.sh
	sh bench/probes.sh
	sh bench/sample.sh
	sh bench/metrics.sh
	sh bench/ws.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
