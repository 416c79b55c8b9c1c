# SPDX-License-Identifier: GPL-2.0
#
# meterwall top-level build.  `make` builds userspace (mwctl, libmw),
# the XDP object with its skeleton, and the kernel module.
# Build variables (override on the command line):
#   CC, CFLAGS, CLANG, BPFTOOL, KVER, KDIR, O, V
#   CI=true   a test suite that cannot run is a failure, not a skip
O        ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
CFLAGS   ?= -O2 -g
KVER     ?= $(shell ls /lib/modules 2>/dev/null | sort -V | tail -n 1)
KDIR     ?= /lib/modules/$(KVER)/build
PKG_CONFIG ?= pkg-config

PKGS     := yaml-0.1 libbpf libnl-genl-3.0 openssl libarchive
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
MWD_LIBS   := $(shell $(PKG_CONFIG) --libs libsystemd libmicrohttpd 2>/dev/null)

MW_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	-D_GNU_SOURCE -isystem include/uapi -Iinclude -Iuserspace/lib -I$(O) \
	$(PKG_CFLAGS)

# common/: freestanding sources compiled into libmw and into meterwall.ko
LIB_SRCS   := $(sort $(wildcard userspace/lib/*.c common/*.c))
MWCTL_SRCS := $(sort $(wildcard userspace/mwctl/*.c))
MWD_SRCS   := $(sort $(wildcard userspace/meterwalld/*.c))
TEST_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJS   := $(LIB_SRCS:%.c=$(O)/%.o)
MWCTL_OBJS := $(MWCTL_SRCS:%.c=$(O)/%.o)
MWD_OBJS   := $(MWD_SRCS:%.c=$(O)/%.o)
TEST_BINS  := $(TEST_SRCS:tests/unit/%.c=$(O)/tests/%)
HDRS       := $(wildcard include/uapi/linux/*.h include/meterwall/*.h \
	userspace/lib/*.h userspace/mwctl/*.h userspace/meterwalld/*.h)

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_HDRS   := $(wildcard bpf/*.h include/meterwall/xdp_abi.h)
BPF_OBJS   := $(BPF_SRCS:bpf/%.bpf.c=$(O)/%.bpf.o)
BPF_SKELS  := $(BPF_SRCS:bpf/%.bpf.c=$(O)/%.skel.h)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Wall -Werror \
	-isystem include/uapi -Iinclude -I$(O) -Ibpf

ifneq ($(V),1)
Q := @
endif

.PHONY: all userspace bpf kmod check test unit deps clean style demo bench \
	install uninstall

all: userspace bpf kmod

userspace: $(O)/mwctl $(O)/meterwalld $(O)/libmw.a

$(O)/%.o: %.c $(HDRS) $(BPF_SKELS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(MW_CFLAGS) -c -o $@ $<

$(O)/libmw.a: $(LIB_OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/mwctl: $(MWCTL_OBJS) $(O)/libmw.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(MWCTL_OBJS) $(O)/libmw.a $(PKG_LIBS) -lm

TEST_HDRS  := $(wildcard tests/include/*.h)
TEST_CFLAGS := $(MW_CFLAGS) -Itests/include -Wno-unused-parameter

$(O)/meterwalld: $(MWD_OBJS) $(O)/libmw.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $(MWD_OBJS) $(O)/libmw.a $(PKG_LIBS) \
		$(MWD_LIBS) -lm

$(O)/tests/%: tests/unit/%.c $(O)/libmw.a $(HDRS) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< \
		$(O)/libmw.a $(PKG_LIBS) -lcmocka -lm

# Programs the qemu guest runs (tests/vm/guest/*.sh) against meterwall.ko;
# without arguments each runs its host-side cmocka suite (tests/run.sh).
GUEST_SRCS := $(sort $(wildcard tests/guest/*.c))
GUEST_BINS := $(GUEST_SRCS:tests/guest/%.c=$(O)/guest/%)
$(O)/guest/%: tests/guest/%.c $(O)/libmw.a $(HDRS) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< \
		$(O)/libmw.a $(PKG_LIBS) -lcmocka -lm

# A test split by concern: its main file plus tests/unit/NAME/*.c
XDP_DIFF_SRCS := $(sort $(wildcard tests/unit/xdp_diff/*.c))
$(O)/tests/test_xdp_diff: tests/unit/test_xdp_diff.c $(XDP_DIFF_SRCS) \
		$(wildcard tests/unit/xdp_diff/*.h) $(O)/libmw.a $(HDRS) $(TEST_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC      $< tests/unit/xdp_diff/*.c"
	$(Q)$(CC) $(CFLAGS) $(TEST_CFLAGS) -o $@ $< \
		$(XDP_DIFF_SRCS) $(O)/libmw.a $(PKG_LIBS) -lcmocka -lm

unit: $(TEST_BINS) $(GUEST_BINS)

# --- fuzzing (libFuzzer; tests/fuzz) ----------------------------------
# `make fuzz-build` builds one fuzzer per tests/fuzz/fuzz_*.c with ASan and
# UBSan; `make check` runs each for FUZZ_SECONDS (30) in tests/suites/
# fuzz.sh, `make fuzz` for 10 minutes each.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(O)/fuzz/%)
# what the harnesses reach: the parser, compiler, image reader, packet
# parser, classifier, the JSON writer and reader, and the audit log's verifier
FUZZ_LIB_SRCS := $(wildcard userspace/lib/compile*.c common/*.c) \
	$(addprefix userspace/lib/,classify.c image.c \
	pkt.c policy_conduit.c policy_parse.c policy_system.c policy_time.c \
	policy_scan.c policy_tree.c policy_yaml.c util.c json.c fileio.c \
	timefmt.c audit.c audit_verify.c jsonread.c)
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(O)/fuzz/obj/%.o)
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all \
	-fsanitize=address,undefined

.PHONY: fuzz-build fuzz
fuzz-build: $(FUZZ_BINS)

$(O)/fuzz/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $< (fuzz)"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(MW_CFLAGS) \
		-c -o $@ $<

$(O)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB_OBJS) $(HDRS)
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(MW_CFLAGS) \
		-o $@ $< $(FUZZ_LIB_OBJS) $(PKG_LIBS) -lm

fuzz: fuzz-build
	$(Q)O=$(O) FUZZ_SECONDS=$${FUZZ_SECONDS:-600} tests/suites/fuzz.sh

# --- BPF -------------------------------------------------------------
bpf: $(BPF_OBJS) $(BPF_SKELS)

$(O)/vmlinux.h:
	@mkdir -p $(O)
	@echo "  GEN     $@"
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(O)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) include/uapi/linux/meterwall.h $(O)/vmlinux.h
	@echo "  CLANG   $<"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/%.skel.h: $(O)/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@

# --- kernel module ---------------------------------------------------
# The kernel's make must not see our command-line variables (O= is its
# output directory there): `make O=dir all' builds the module in place.
kmod: MAKEOVERRIDES :=
kmod:
	@test -d $(KDIR) || { echo "kmod: no kernel headers at $(KDIR); run 'make deps'" >&2; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) modules

style:
	$(Q)O=$(O) tests/suites/style.sh

# --- install -----------------------------------------------------------
# `make install [DESTDIR=...] [PREFIX=/usr/local]`: the two programs, the
# systemd unit, the man pages, the example policies.  The XDP object is
# inside the programs (skeleton); the module is built and installed by
# `make kmod` / modules_install (DKMS: later).  `make uninstall` removes
# exactly what install put there.
PREFIX     ?= /usr/local
SBINDIR    := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man
DOCDIR     := $(PREFIX)/share/doc/meterwall
UNITDIR    ?= /lib/systemd/system
INSTALLED  := $(SBINDIR)/mwctl $(SBINDIR)/meterwalld \
	$(UNITDIR)/meterwalld.service $(MANDIR)/man8/mwctl.8 \
	$(MANDIR)/man8/meterwalld.8 $(MANDIR)/man5/meterwall-policy.5 \
	$(DOCDIR)/examples/gateway.yaml $(DOCDIR)/examples/minimal.yaml

install: $(O)/mwctl $(O)/meterwalld
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(O)/mwctl $(O)/meterwalld $(DESTDIR)$(SBINDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|' packaging/meterwalld.service \
		>$(DESTDIR)$(UNITDIR)/meterwalld.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/meterwalld.service
	install -m 0644 man/mwctl.8 man/meterwalld.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/meterwall-policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 examples/gateway.yaml examples/minimal.yaml \
		$(DESTDIR)$(DOCDIR)/examples/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null

# --- tests, tools ----------------------------------------------------
deps:
	$(Q)tools/install-deps.sh

# `make check` and `make demo` install what they need first (idempotent).
check test:
	$(Q)tools/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all unit fuzz-build bench-build
	$(Q)O=$(O) tests/run.sh

demo:
	$(Q)tools/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)O=$(O) tools/demo.sh

clean:
	rm -rf $(O)
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1

# --- benchmarks (tools/bench; owner: datapath) -------------------------
# `make bench` builds the benchmark programs and runs tools/bench/run.sh
# (xdp-testrun, xdp-live, policy-apply), tools/bench/pktgen.sh (the
# kernel module in the qemu guest), tools/bench/xdp-cost.sh (the XDP
# program's instructions per packet in the guest) and
# tools/bench/xdp-profile.sh (where its time goes on this host, by source
# line); root; results under bench-results/.
# `make bench-build` only builds.
BENCH_SRCS := $(filter-out %.bpf.c,$(wildcard tools/bench/*.c))
BENCH_BINS := $(BENCH_SRCS:tools/bench/%.c=$(O)/bench/%)
BENCH_BPF  := $(patsubst tools/bench/%.bpf.c,$(O)/bench/%.skel.h,$(wildcard tools/bench/*.bpf.c))

.PHONY: bench-build
bench-build: $(BPF_SKELS) $(O)/libmw.a $(BENCH_BPF) $(BENCH_BINS)

$(O)/bench/%.bpf.o: tools/bench/%.bpf.c $(O)/vmlinux.h
	@mkdir -p $(dir $@)
	@echo "  CLANG   $<"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(O)/bench/%.skel.h: $(O)/bench/%.bpf.o
	@echo "  SKEL    $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(O)/bench/%: tools/bench/%.c tools/bench/bench.h tests/include/policy_gen.h $(O)/libmw.a $(HDRS) $(BPF_SKELS) $(BENCH_BPF)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) $(MW_CFLAGS) -Itools/bench -Itests/include -I$(O)/bench \
		-o $@ $< \
		$(O)/libmw.a $(PKG_LIBS) -lm

bench:
	$(Q)tools/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all unit bench-build
	$(Q)mkdir -p bench-results
	$(Q)for f in targets host xdp-cost; do \
		! test -f bench-results/$$f.csv || \
			mv bench-results/$$f.csv bench-results/$$f-prev.csv; \
	done
	$(Q)O=$(O) tools/bench/run.sh
	$(Q)O=$(O) tools/bench/pktgen.sh
	$(Q)O=$(O) tools/bench/xdp-cost.sh
	$(Q)O=$(O) tools/bench/xdp-profile.sh
	$(Q)O=$(O) tools/bench/daemon.sh
	$(Q)python3 tools/bench/summary.py targets bench-results
