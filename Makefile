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
#   make man        the man pages, in build/man (services.yaml(5)'s key
#                   reference generated from the parser's key table)
#   make install    PREFIX=/usr/local DESTDIR= (SYSCONFDIR=/etc whatever
#                   PREFIX); make uninstall removes what it installed
#                   (never /etc/prodd/services.yaml)
#   make package    the Debian package, built in build/pkg
#   make check-package   package + lintian + install/remove test (root)
#   make upgrade-valgrind   the upgrade test with valgrind following prodd
#                   into every image it exec's (~4 min; not in make test)
#   make clean

.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
# the installed dashboard is DATADIR/dashboard (the default dashboard_dir
# when none is next to the binary)
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/prodd
DATADIR ?= $(PREFIX)/share/prodd
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
INSTALL ?= install

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

ALL_PKGS := libuv yaml-0.1 libcurl libcjson libwebsockets libsystemd openssl
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

.PHONY: all deps run test check unit integration bench clean install \
	uninstall man package check-package fuzz fuzz-build fuzz-cov dashboard \
	upgrade-valgrind FORCE
all: $(PROGRAMS) man $(BUILD)/dashboard/index.html

# The dashboard (dashboard/build.sh): its sources copied into
# build/dashboard with uPlot from node_modules and a gzip -9 copy of each
# compressible file; rebuilt only when a source, the build script or the
# lockfile changed. node_modules comes from `npm ci` when it is missing or
# older than the lockfile (make deps does the same). Each other build
# (build/sanitize) gets a copy next to its prodd, which serves
# dashboard/ next to its binary by default.
DASH_SRC := $(shell find dashboard/src -type f 2>/dev/null) dashboard/build.sh
DASH_NPM := dashboard/node_modules/.package-lock.json
dashboard: build/dashboard/index.html $(BUILD)/dashboard/index.html

$(DASH_NPM): dashboard/package-lock.json
	cd dashboard && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

build/dashboard/index.html: $(DASH_SRC) $(DASH_NPM)
	sh dashboard/build.sh $(CURDIR)/build/dashboard

ifneq ($(BUILD),build)
$(BUILD)/dashboard/index.html: build/dashboard/index.html
	@mkdir -p $(BUILD)
	rm -rf $(BUILD)/dashboard.tmp && cp -R build/dashboard $(BUILD)/dashboard.tmp
	rm -rf $(BUILD)/dashboard && mv $(BUILD)/dashboard.tmp $(BUILD)/dashboard
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(CORE_LIB): $(call obj,$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/obj/src/daemon/static.o: CPPFLAGS += -DPRODD_DATADIR='"$(DATADIR)"'

# libcurl is not linked: prodd loads it at the first url check
# (src/daemon/curl-lazy.c); its headers are still needed to build.
# Nor is libsystemd: sd_notify and the journal (sdnotify.c, journal.c)
# load it at the first use (src/daemon/sd-lazy.c).
# libcrypto (HMAC of alert webhooks) is in the process anyway: libwebsockets
# links libssl.
PRODD_PKGS := $(filter-out libcurl libsystemd,$(ALL_PKGS))
$(BUILD)/prodd: $(call obj,$(DAEMON_SRC)) $(CORE_LIB) $(COMMON_LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,$(PRODD_PKGS) libcrypto) -ldl -lm

# The installed paths compiled into prodd: the exec helper's (spawn.c; a
# prodd-exec next to the binary, as in the build tree, comes first) and
# the data directory's. The stamp changes only when they do, so that a
# make install with another PREFIX rebuilds the objects that hold them.
PATH_DEFS := -DPRODD_LIBEXECDIR='"$(LIBEXECDIR)"' -DPRODD_DATADIR='"$(DATADIR)"'
$(BUILD)/paths.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PATH_DEFS)' | cmp -s - $@ || echo '$(PATH_DEFS)' >$@
$(BUILD)/obj/src/daemon/spawn.o: CPPFLAGS += $(PATH_DEFS)
$(BUILD)/obj/src/daemon/spawn.o: $(BUILD)/paths.stamp
# static.c (the dashboard's files, PRODD_DATADIR) is rebuilt with them too
$(BUILD)/obj/src/daemon/static.o: $(BUILD)/paths.stamp

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

# sdnotify.c and journal.c are daemon leaves on libuv and libsystemd
# (loaded by sd-lazy.c).
$(BUILD)/tests/test_sdnotify: $(BUILD)/obj/tests/unit/test_sdnotify.o $(BUILD)/obj/src/daemon/sdnotify.o $(BUILD)/obj/src/daemon/journal.o $(BUILD)/obj/src/daemon/sd-lazy.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka libuv libcjson) -ldl -pthread -lm

# supervisor-timers.c, on libuv (the test supplies sup_now and
# sup_svc_free).
$(BUILD)/tests/test_suptimers: $(BUILD)/obj/tests/unit/test_suptimers.o $(BUILD)/obj/src/daemon/supervisor-timers.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka libuv) -lm

# spawn.c and spawn-run.c are a daemon leaf on libc and pthreads alone.
SPAWN_OBJ := $(BUILD)/obj/src/daemon/spawn.o $(BUILD)/obj/src/daemon/spawn-run.o
$(BUILD)/tests/test_spawn: $(BUILD)/obj/tests/unit/test_spawn.o $(SPAWN_OBJ) $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka yaml-0.1 libcjson) -pthread -lm

# reaper.c, a daemon leaf on libuv, spawns its children with spawn.c.
$(BUILD)/tests/test_reaper: $(BUILD)/obj/tests/unit/test_reaper.o $(BUILD)/obj/src/daemon/reaper.o $(SPAWN_OBJ) $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,cmocka libuv yaml-0.1 libcjson) -pthread -lm

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

# bench/notify.sh's services: static too, for the shortest start-up
$(BUILD)/bench/notifyready: $(BUILD)/obj/bench/notifyready.o
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -static -o $@ $^

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,yaml-0.1 libcjson) -lm

# The fuzz targets (tests/fuzz/fuzz_*.c, libFuzzer): a separate clang
# build of the common and core objects in build/fuzz, instrumented for the
# fuzzer with ASan and UBSan; each target runs FUZZ_TIME seconds from its
# seed corpus tests/fuzz/corpus/NAME, with tests/fuzz/NAME.dict when there
# is one (tests/fuzz/run.sh); bench/fuzz.sh runs the long campaign.
FUZZ_CC ?= clang
FUZZ_TIME ?= 5
FUZZ_DIR := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -O1 -g $(WARNINGS) -fsanitize=fuzzer-no-link \
	$(FUZZ_SAN) $(PKG_CFLAGS) -MMD -MP
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_DIR)/%,$(FUZZ_SRC))
fuzzobj = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(1))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/libprodd-common.a: $(call fuzzobj,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/libprodd-core.a: $(call fuzzobj,$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/libprodd-core.a $(FUZZ_DIR)/libprodd-common.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(call libs,yaml-0.1 libcjson) -lm

# the demo's head parser is outside the libraries, as in its unit test
$(FUZZ_DIR)/fuzz_demohead: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_demohead.o $(call fuzzobj,src/demo/demo-head.c) $(FUZZ_DIR)/libprodd-common.a
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^

fuzz: $(FUZZ_TARGETS)
	@FUZZ_TIME=$(FUZZ_TIME) bash tests/fuzz/run.sh $(FUZZ_TARGETS)

# The same targets built for source-based coverage (no sanitizer), in
# build/fuzz-cov: bench/fuzz.sh replays each corpus through them and
# reports llvm-cov's line coverage of each target's sources.
FUZZ_COV_DIR := build/fuzz-cov
FUZZ_COV_CFLAGS := -std=c11 -O1 -g $(WARNINGS) -fsanitize=fuzzer-no-link \
	-fprofile-instr-generate -fcoverage-mapping $(PKG_CFLAGS) -MMD -MP
FUZZ_COV_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_COV_DIR)/%,$(FUZZ_SRC))
fuzzcovobj = $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,$(1))
FUZZ_COV_LINK := $(FUZZ_CC) -fsanitize=fuzzer -fprofile-instr-generate \
	-fcoverage-mapping

$(FUZZ_COV_DIR)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_COV_CFLAGS) -c $< -o $@

$(FUZZ_COV_DIR)/libprodd-common.a: $(call fuzzcovobj,$(COMMON_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_COV_DIR)/libprodd-core.a: $(call fuzzcovobj,$(CORE_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_COV_DIR)/fuzz_demohead: $(FUZZ_COV_DIR)/obj/tests/fuzz/fuzz_demohead.o $(call fuzzcovobj,src/demo/demo-head.c) $(FUZZ_COV_DIR)/libprodd-common.a
	$(FUZZ_COV_LINK) -o $@ $^

$(FUZZ_COV_DIR)/fuzz_%: $(FUZZ_COV_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_COV_DIR)/libprodd-core.a $(FUZZ_COV_DIR)/libprodd-common.a
	$(FUZZ_COV_LINK) -o $@ $^ $(call libs,yaml-0.1 libcjson) -lm

fuzz-build: $(FUZZ_TARGETS)
fuzz-cov: $(FUZZ_COV_TARGETS)

# Installs only what is missing; silent when everything is there.
deps:
	@sh packaging/deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	$(BUILD)/prodd -c etc/services.yaml --log-format text

# A descriptor limit the machine cannot grant, preloaded into prodd by
# t-nofile.sh (never sanitized: it is loaded ahead of the binary's own).
$(BUILD)/tests/libfakenofile.so: tests/integration/fakenofile.c
	@mkdir -p $(@D)
	$(CC) -O2 -Wall -Wextra -shared -fPIC -o $@ $< -ldl

# The tests of one build: unit tests, then black-box tests of the binaries.
check: all $(UNIT_TESTS) $(BUILD)/tests/libfakenofile.so
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) bash tests/run.sh

unit: $(UNIT_TESTS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) ONLY=unit bash tests/run.sh

integration: all $(BUILD)/tests/libfakenofile.so
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

# The upgrade test with valgrind following prodd through every hand-over
# (--trace-children=yes; each image's report, bench/upgrade-valgrind.sh).
# Some 4 minutes where the test takes 45 s, past what make test may add:
# there, valgrind runs the test's first image of prodd only (a hand-over's
# new image runs without it).
upgrade-valgrind: all
	BUILD=$(BUILD) bash bench/upgrade-valgrind.sh

# Every benchmark, one after the other (~37 minutes, bench/ws.sh's 10-minute
# RSS run included); results in bench/README.md.
bench: all
	sh bench/config.sh
	sh bench/supervise.sh
	bash bench/api.sh
	sh bench/probes.sh
	sh bench/sample.sh
	sh bench/metrics.sh
	sh bench/ws.sh
	sh bench/notify.sh
	sh bench/dashboard.sh
	bash bench/alerts.sh
	bash bench/upgrade.sh

# ---- man pages --------------------------------------------------------
# services.yaml(5)'s key reference is written by tools/man-keys from the
# parser's own key table (cfg_schema_walk), into the page's template at
# its @KEYS@ line; every page gets the installed paths substituted.
MAN_PAGES := $(BUILD)/man/prodd.8 $(BUILD)/man/prodctl.1 \
	$(BUILD)/man/services.yaml.5
man: $(MAN_PAGES)

$(BUILD)/tools/man-keys: $(BUILD)/obj/tools/man-keys.o $(CORE_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(call libs,yaml-0.1 libcjson) -lm

MAN_SED = sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@BINDIR@|$(BINDIR)|g' \
	-e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' -e 's|@DATADIR@|$(DATADIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@UNITDIR@|$(UNITDIR)|g'

$(BUILD)/man/services.yaml.5: man/services.yaml.5.in $(BUILD)/tools/man-keys $(BUILD)/paths.stamp
	@mkdir -p $(@D)
	$(BUILD)/tools/man-keys $< >$@.keys
	$(MAN_SED) $@.keys >$@.tmp && rm -f $@.keys && mv $@.tmp $@

$(BUILD)/man/prodd.8: man/prodd.8.in $(BUILD)/paths.stamp
	@mkdir -p $(@D)
	$(MAN_SED) $< >$@

$(BUILD)/man/prodctl.1: man/prodctl.1 $(BUILD)/paths.stamp
	@mkdir -p $(@D)
	$(MAN_SED) $< >$@

# ---- install ----------------------------------------------------------
# The dashboard is built into build/dashboard by the `dashboard` target
# (made first when the tree has one); it is installed when it exists.
# SYSCONFDIR/prodd/services.yaml is installed only when there is none:
# it is the operator's.
DASHBOARD_BUILD ?= build/dashboard
INSTALL_DASHBOARD := $(if $(wildcard dashboard/package.json),dashboard)

install: all $(INSTALL_DASHBOARD)
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(SYSCONFDIR)/prodd
	$(INSTALL) -m 755 $(BUILD)/prodd $(DESTDIR)$(SBINDIR)/prodd
	$(INSTALL) -m 755 $(BUILD)/prodctl $(DESTDIR)$(BINDIR)/prodctl
	$(INSTALL) -m 755 $(BUILD)/prodd-exec $(DESTDIR)$(LIBEXECDIR)/prodd-exec
	sed -e 's|/usr/sbin/prodd|$(SBINDIR)/prodd|g' \
		-e 's|/usr/bin/prodctl|$(BINDIR)/prodctl|g' \
		-e 's|/etc/prodd/|$(SYSCONFDIR)/prodd/|g' etc/prodd.service \
		>$(DESTDIR)$(UNITDIR)/prodd.service
	chmod 644 $(DESTDIR)$(UNITDIR)/prodd.service
	$(INSTALL) -m 644 $(BUILD)/man/prodctl.1 $(DESTDIR)$(MANDIR)/man1/prodctl.1
	$(INSTALL) -m 644 $(BUILD)/man/services.yaml.5 $(DESTDIR)$(MANDIR)/man5/services.yaml.5
	$(INSTALL) -m 644 $(BUILD)/man/prodd.8 $(DESTDIR)$(MANDIR)/man8/prodd.8
	$(INSTALL) -m 644 etc/bash-completion/prodctl $(DESTDIR)$(BASHCOMPDIR)/prodctl
	$(INSTALL) -m 644 packaging/prometheus/prodd-rules.yml \
		packaging/prometheus/scrape.yml $(DESTDIR)$(DATADIR)/prometheus/
	if [ -d $(DASHBOARD_BUILD) ]; then \
		rm -rf $(DESTDIR)$(DATADIR)/dashboard && \
		cp -R $(DASHBOARD_BUILD) $(DESTDIR)$(DATADIR)/dashboard && \
		chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)/dashboard; fi
	[ -e $(DESTDIR)$(SYSCONFDIR)/prodd/services.yaml ] || \
		$(INSTALL) -m 644 etc/prodd/services.yaml \
		$(DESTDIR)$(SYSCONFDIR)/prodd/services.yaml

# Leaves $(SYSCONFDIR)/prodd/services.yaml: it is the operator's.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/prodd $(DESTDIR)$(BINDIR)/prodctl \
		$(DESTDIR)$(LIBEXECDIR)/prodd-exec \
		$(DESTDIR)$(UNITDIR)/prodd.service \
		$(DESTDIR)$(MANDIR)/man1/prodctl.1 \
		$(DESTDIR)$(MANDIR)/man5/services.yaml.5 \
		$(DESTDIR)$(MANDIR)/man8/prodd.8 \
		$(DESTDIR)$(BASHCOMPDIR)/prodctl
	rm -rf $(DESTDIR)$(DATADIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null

# ---- Debian package ---------------------------------------------------
# The tree (without build/, .git, node_modules) with packaging/debian as
# debian/, in build/pkg/prodd-VERSION; the .deb and .changes land in
# build/pkg. check-package then runs lintian and the install/removal test.
VERSION := $(shell sed -n 's/^\#define PRODD_VERSION "\(.*\)"/\1/p' include/prodd/version.h)
PKG := build/pkg
package:
	rm -rf $(PKG)
	mkdir -p $(PKG)/prodd-$(VERSION)
	tar -c --exclude=./build --exclude=./.git --exclude=node_modules \
		--exclude=./debian . | tar -x -C $(PKG)/prodd-$(VERSION)
	cp -R packaging/debian $(PKG)/prodd-$(VERSION)/debian
	cd $(PKG)/prodd-$(VERSION) && dpkg-buildpackage -b -us -uc
	@ls $(PKG)/*.deb $(PKG)/*.changes

check-package: package
	lintian --fail-on error,warning $(PKG)/*.changes
	bash packaging/check-package.sh $(PKG)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj $(FUZZ_DIR)/obj $(FUZZ_COV_DIR)/obj -name '*.d' 2>/dev/null)
