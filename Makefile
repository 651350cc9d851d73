# ocirt - a daemonless OCI runtime. See README.md.
#
# Targets: all (./ocirt), check, demo, bench, install, clean, unit, bats.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
VERSION := 0.1.0
COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=gnu11 -D_GNU_SOURCE \
	-DOCIRT_VERSION='"$(VERSION)"' -DOCIRT_COMMIT='"$(COMMIT)"' \
	$(shell pkg-config --cflags yajl 2>/dev/null)
# yajl, libseccomp and libcap are linked statically: it saves the dynamic
# loader's work on every invocation, and ocirt runs once per container verb.
LDLIBS_STATIC := -Wl,-Bstatic -lyajl_s -lseccomp -lcap -Wl,-Bdynamic -lpthread
LDLIBS ?= $(LDLIBS_STATIC)
# Every symbol bound at start (and the GOT read-only after it): the shim
# then never runs the dynamic loader's lazy resolver again, whose code
# stayed resident for the container's life (~0.19 MiB), and a container
# never finds a writable GOT in a runtime process. ~250 more relocations at
# start cost less than the lazy resolution of the functions a create calls.
LDFLAGS_BIND := -Wl,-z,relro -Wl,-z,now

LIB_SRC := $(sort $(wildcard oci/*.c src/util/*.c src/linux/*.c src/runtime/*.c src/shim/*.c)) src/net/net_state.c
# ocirt-net: the CNI hook program (createRuntime ADD, poststop DEL).
NET_SRC := src/net/ocirt-net.c src/net/cni.c
NET_OBJ := $(NET_SRC:.c=.o)
CLI_SRC := $(sort $(wildcard src/cli/*.c))
LIB_OBJ := $(LIB_SRC:.c=.o)
CLI_OBJ := $(CLI_SRC:.c=.o)
DEPS := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(NET_OBJ:.o=.d)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:.c=)

all: ocirt ocirt-net

ocirt: $(LIB_OBJ) $(CLI_OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS_BIND) $(LDFLAGS) -o $@ $^ $(LDLIBS)

ocirt-net: $(NET_OBJ) src/net/net_state.o src/util/error.o src/util/fs.o src/util/json.o
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -Wl,-Bstatic -lyajl_s -Wl,-Bdynamic

%.o: %.c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# `ocirt --version` and `ocirt features` print the commit they were built
# from: the objects OCIRT_COMMIT is compiled into are rebuilt when HEAD
# moves, not only when their source changes. .commit is rewritten only when the commit differs, so an
# unchanged tree relinks nothing.
.commit: FORCE
	@echo '$(COMMIT)' | cmp -s - $@ || echo '$(COMMIT)' > $@
src/cli/main.o oci/features.o: .commit
FORCE:

-include $(DEPS)

libocirt.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

tests/unit/test_%: tests/unit/test_%.c libocirt.a
	$(CC) $(CFLAGS) -o $@ $< libocirt.a $(LDLIBS) -lcmocka

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do ./$$t; done

man: ocirt
	contrib/gen-man.sh ./ocirt > contrib/ocirt.8

tests/tools/recvtty: tests/tools/recvtty.c src/linux/terminal.c src/linux/pathsafe.c src/util/error.c src/util/fs.c
	$(CC) $(CFLAGS) -o $@ $^

# Test helpers: a seccomp agent (listenerPath), and a raw syscall that runs
# in any rootfs (static).
tests/tools/seccomp_agent: tests/tools/seccomp_agent.c
	$(CC) $(CFLAGS) -o $@ $<

tests/tools/sysno: tests/tools/sysno.c
	$(CC) $(CFLAGS) -static -o $@ $<

install: ocirt ocirt-net
	install -D -m 0755 ocirt $(DESTDIR)$(BINDIR)/ocirt
	install -D -m 0755 ocirt-net $(DESTDIR)$(BINDIR)/ocirt-net
	install -D -m 0644 contrib/cni/ocirt.conflist $(DESTDIR)$(PREFIX)/share/ocirt/cni/ocirt.conflist
	install -D -m 0644 contrib/ocirt.8 $(DESTDIR)$(MANDIR)/man8/ocirt.8

deps-build:
	@tests/install-deps.sh build

deps-check:
	@tests/install-deps.sh check

demo: deps-build
	$(MAKE) all
	rootfs-tools/demo.sh

check: deps-check
	$(MAKE) all tests/tools/recvtty tests/tools/seccomp_agent tests/tools/sysno
	tests/run-all.sh

bats: ocirt
	tests/run-all.sh bats

vmcheck: ocirt
	tests/run-all.sh vm

# The systemd + cgroup v2 + AppArmor Debian VM (tests/vm/sysvm.sh).
sysvmcheck: ocirt
	tests/run-all.sh sysvm

# libFuzzer with ASan+UBSan: 300 s per target (make check runs 30 s).
fuzz:
	FUZZ_SECONDS=300 tests/run-all.sh fuzz

# The long reliability runs: finer kill steps, 1000 soak cycles, 200
# parallel containers.
stress: ocirt
	OCIRT_STRESS=1 tests/run-all.sh bats

bench: ocirt
	tests/bench/bench.sh

clean:
	rm -f .commit ocirt ocirt-net libocirt.a $(LIB_OBJ) $(CLI_OBJ) $(NET_OBJ) $(DEPS) $(UNIT_BIN) tests/tools/recvtty tests/tools/seccomp_agent tests/tools/sysno
	rm -rf tests/.work

.PHONY: FORCE all unit man vmcheck sysvmcheck fuzz stress install deps-build deps-check demo check bats bench clean
