# SPDX-License-Identifier: GPL-2.0
#
# make                 build both modules for KDIR (default: the running
#                      kernel's build tree, else the newest Debian headers)
# make modules-all     build for every installed Debian kernel into build/<ver>/
# make unit            userspace unit tests of rmap/ (TAP)
# make fuzz            short libFuzzer smoke of the frame parser/reassembly
# make sparse          W=1 C=1 on every installed kernel
# make style           checkpatch on every source file
# make check           install what is needed, build, run every test (TAP)
# make lab             install what is needed, run the MemX flow in two guests
# make bench           benchmarks against brd, zram, NBD, AoE
# make bench-replicas  the cost of replicas=2 against replicas=1

MEMX_TOP := $(CURDIR)
KVER_RUNNING := $(shell uname -r)
KDIR ?= $(or $(wildcard /lib/modules/$(KVER_RUNNING)/build),$(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64))))

KBUILD_ARGS := -C $(KDIR) M=$(MEMX_TOP) MEMX_TOP=$(MEMX_TOP)

.PHONY: all modules clean modules-all unit fuzz sparse style check lab bench \
	bench-replicas deps

all: modules

modules:
	@test -d "$(KDIR)" || { echo "memx: no kernel build tree (set KDIR=, or run 'make deps')" >&2; exit 1; }
	$(MAKE) $(KBUILD_ARGS) modules

clean:
	-$(MAKE) $(KBUILD_ARGS) clean 2>/dev/null
	rm -rf build
	$(MAKE) -C selftests clean

# One copy of the tree per kernel: out-of-tree builds write next to the
# sources, and each kernel needs its own objects.
modules-all:
	@./selftests/vm/kernels.sh | while read -r kver kdir; do \
		echo "== $$kver"; \
		mkdir -p build/$$kver; \
		tar -c --exclude=./build --exclude=./.git . | tar -x -C build/$$kver; \
		$(MAKE) -C $(MEMX_TOP)/build/$$kver KDIR=$$kdir modules $(if $(EXTRA),$(EXTRA)) || exit 1; \
	done

sparse:
	$(MAKE) modules-all EXTRA="W=1 C=1"

style:
	./selftests/style.sh

unit fuzz:
	$(MAKE) -C selftests $@

deps:
	./selftests/vm/deps.sh

check:
	./selftests/run.sh

lab:
	./selftests/vm/lab.sh

bench:
	./selftests/bench/run.sh

bench-replicas:
	./selftests/bench/replicas.sh
