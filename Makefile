# nslab — Linux namespaces, one small Go program at a time.
# `make help` lists the targets. Targets marked (root) need sudo.

SHELL := /bin/bash
# sudo resets PATH to a secure_path that often lacks Go's directory.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
export CGO_ENABLED := 0

CHAPTERS := 01-uts 02-mount 03-user 04-pid 05-net 06-container
BIN := bin
ROOTFS ?= rootfs
ROOTFS_TAR ?=
ARGS ?=
# A count, not a duration: with a duration, Go before 1.27 can fail a
# fuzz run with a spurious "context deadline exceeded" (go.dev/issue/75804).
FUZZTIME ?= 20000x
# The fuzz targets: package:Target, one go test -fuzz run each.
FUZZ := 01-uts/uts:FuzzCheckName 03-user/userns:FuzzParseMap 03-user/caps:FuzzParse \
	05-net/netlink:FuzzParseAttrs 05-net/netlink:FuzzParseLink 05-net/netlink:FuzzParseAddr \
	05-net/netlink:FuzzParseRoute 05-net/netlink:FuzzReply 06-container:FuzzParseRule \
	06-container:FuzzCheckEnv 06-container:FuzzParseSubnet 06-container:FuzzCapabilities \
	06-container:FuzzParsePort

# need-root prints one line and stops when the target runs without root.
need-root = @if [ "$$(id -u)" != 0 ]; then echo "make $@ needs root: sudo make $@"; exit 2; fi

# need-tool installs the Debian package $(2) when command $(1) is missing
# (on Debian and Ubuntu), or says in one line what to install.
need-tool = command -v $(1) >/dev/null || apt-get install -y -qq $(2) >/dev/null 2>&1 || \
	{ apt-get update -qq && apt-get install -y -qq $(2) >/dev/null 2>&1; } || \
	{ echo "make $@ needs $(1): apt-get install $(2), or your distribution's package for it"; exit 2; }

# test-stress and fuzz are defined below.
.PHONY: check-docs test-vm test-stress fuzz help build run-01 run-02 run-03 run-04 run-05 run-06 test test-01 test-02 test-03 test-04 test-05 test-06 bench rootfs doctor clean fmt vet check-go

help: ## list the targets
	@grep -hE '^[a-z0-9%-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

check-go:
	@[ -x "$(GO)" ] || { echo "Go not found: install Go 1.19 or newer (https://go.dev/doc/install)"; exit 2; }

build: check-go ## build every chapter into bin/
	@mkdir -p $(BIN)
	@for c in $(CHAPTERS); do $(GO) build -o $(BIN)/$$c ./$$c || exit 1; done
	@$(GO) build -o $(BIN)/nsprobe ./06-container/nsprobe
	@# Built with sudo? Give bin/ back to the user, so a later plain make works.
	@if [ -n "$${SUDO_UID:-}" ]; then chown -R "$$SUDO_UID:$${SUDO_GID:-$$SUDO_UID}" $(BIN); fi

run-01: build ## (root) chapter 01: a private hostname, e.g. ARGS='--hostname lab -- hostname'
	$(need-root)
	@./$(BIN)/01-uts $(ARGS)

run-02: build ## (root) chapter 02: a private mount table; ARGS='--demo-propagation' shows the leak
	$(need-root)
	@./$(BIN)/02-mount $(ARGS)

run-03: build ## chapter 03: root inside a user namespace — run it as a regular user, no sudo
	@./$(BIN)/03-user $(ARGS)

run-04: build ## (root) chapter 04: PID 1 and a tiny ps; ARGS='--demo zombies' (signals, exit, reboot)
	$(need-root)
	@./$(BIN)/04-pid $(ARGS)

run-05: build ## (root) chapter 05: lo, veth pairs and a bridge, step by step; ARGS='--pause'
	$(need-root)
	@./$(BIN)/05-net $(ARGS)

run-06: rootfs ## the container: a busybox shell with its own hostname, PID 1 and eth0 (sudo; rootless without)
	@./$(BIN)/06-container --rootfs $(ROOTFS) $(ARGS)

test: check-go ## (root) run every test, then a short run of each fuzz target; fails if any test skips
	$(need-root)
	@# The network tests read and load rules with nft, run rootless
	@# containers through slirp4netns and pasta, and list conntrack's table.
	@$(call need-tool,nft,nftables)
	@$(call need-tool,slirp4netns,slirp4netns)
	@$(call need-tool,pasta,passt)
	@$(call need-tool,conntrack,conntrack)
	@log=$$(mktemp); trap 'rm -f $$log' EXIT; \
	$(GO) test -p 1 -count=1 -v ./... 2>&1 | tee $$log | grep -E '^(--- FAIL|--- SKIP|FAIL|ok |panic:)'; \
	status=$${PIPESTATUS[0]}; \
	if grep -q -- '--- SKIP' $$log; then echo "make test: tests skipped as root (see --- SKIP above)"; exit 1; fi; \
	if [ $$status != 0 ]; then \
		for t in $$(sed -n 's/^--- FAIL: \([^ ]*\).*/\1/p' $$log | sort -u); do \
			echo "== $$t"; sed -n "/^=== RUN   $$t\$$/,/^--- FAIL: $$t /p" $$log | grep -v '^=== ' | head -80; \
		done; exit $$status; fi
	@$(MAKE) --no-print-directory fuzz

fuzz: check-go ## run each fuzz target FUZZTIME inputs (default 20000x), e.g. make fuzz FUZZTIME=2000000x
	@for t in $(FUZZ); do \
		echo "fuzz $${t#*:} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) ./$${t%%:*} >/tmp/nslab-fuzz.log 2>&1 \
			|| { cat /tmp/nslab-fuzz.log; rm -f /tmp/nslab-fuzz.log; exit 1; }; \
	done; rm -f /tmp/nslab-fuzz.log

test-stress: check-go ## (root) the long runs: 500 containers in a row, 50 runtimes killed at random
	$(need-root)
	$(GO) test -tags stress -count=1 -timeout 30m -run 'Stress' -v ./06-container/ 2>&1 | grep -E '^(=== RUN|--- |ok |FAIL|panic:|\s+\S+_test.go)'; exit $${PIPESTATUS[0]}

test-01: check-go ## (root) test chapter 01 only
	$(need-root)
	$(GO) test -count=1 ./01-uts/...

test-02: check-go ## (root) test chapter 02 only
	$(need-root)
	$(GO) test -count=1 ./02-mount/...

test-03: check-go ## (root) test chapter 03 only (the tests run it as uid 65534)
	$(need-root)
	$(GO) test -count=1 ./03-user/...

test-04: check-go ## (root) test chapter 04 only
	$(need-root)
	$(GO) test -count=1 ./04-pid/...

test-05: check-go ## (root) test chapter 05 only
	$(need-root)
	$(GO) test -count=1 ./05-net/...

test-06: check-go ## (root) test chapter 06 only
	$(need-root)
	$(GO) test -count=1 ./06-container/...

rootfs: build ## build ./rootfs from busybox-static, or from ROOTFS_TAR=file.tar.gz; adds the lab's nsprobe
	@[ -e $(ROOTFS)/bin/sh ] || ./scripts/mkrootfs.sh $(ROOTFS) $(ROOTFS_TAR)
	@cmp -s $(BIN)/nsprobe $(ROOTFS)/usr/local/bin/nsprobe || install -D -m 755 $(BIN)/nsprobe $(ROOTFS)/usr/local/bin/nsprobe

bench: rootfs ## (root) 06-container beside unshare, bwrap, runc, crun: writes docs/benchmarks.md (informative)
	$(need-root)
	@$(call need-tool,hyperfine,hyperfine)
	@$(call need-tool,/usr/bin/time,time)
	@$(GO) build -o $(BIN)/bench ./bench
	@# The runtime as it was before it had the init born in its cgroup.
	@$(GO) build -tags nslab_move -o $(BIN)/06-container-moved ./06-container
	@./$(BIN)/bench --bin $(BIN) --rootfs $(ROOTFS)

doctor: build ## check every chapter's needs on this machine, with the fix for each FAIL
	@failed=0; for c in $(CHAPTERS); do ./$(BIN)/$$c --check || failed=$$((failed+1)); echo; done; \
	total=$(words $(CHAPTERS)); \
	echo "doctor: $$((total-failed)) of $$total chapters ready on this machine$$( [ $$failed = 0 ] || echo '; fix the FAIL lines above')"; \
	[ $$failed = 0 ]

# Classroom mode (docs/teaching.md): a student's copy of a chapter in
# labs/, with the marked functions cut at LEVEL, graded by the chapter's
# own tests; chapter picks NN-name out of CHAPTERS for NN.
LEVEL ?= guided
FORMAT ?= text
LABS ?= labs
chapter = $(filter $(1)-%,$(CHAPTERS))

lab-%: check-go ## a student's copy of chapter NN in labs/, e.g. make lab-03 LEVEL=guided|open|challenge (or one step: 3.1)
	@[ -n "$(call chapter,$*)" ] || { echo "make lab-$*: no chapter $* (01 to 06)"; exit 2; }
	@$(GO) run ./internal/labkit make $(call chapter,$*) $(LABS)/$(call chapter,$*) $(LEVEL)

check-%: check-go ## (root) grade labs/NN-… with the chapter's own tests, e.g. sudo make check-03 FORMAT=text|json|tap
	$(need-root)
	@[ -n "$(call chapter,$*)" ] || { echo "make check-$*: no chapter $* (01 to 06)"; exit 2; }
	@[ -d $(LABS)/$(call chapter,$*) ] || { echo "make check-$*: no $(LABS)/$(call chapter,$*) — make lab-$* first"; exit 2; }
	@$(GO) run ./internal/labkit check $(call chapter,$*) $(LABS)/$(call chapter,$*) $(FORMAT)

# The VM lane's guest: the kernel package, the Debian root filesystem
# and the initramfs, kept between runs.
VM ?= .vm

test-vm: check-go ## (root) the tests on Debian 12's kernel, cgroup v2 only, in a QEMU guest; KERNEL_PKG=… names another
	$(need-root)
	@$(call need-tool,qemu-system-x86_64,qemu-system-x86)
	@$(call need-tool,mmdebstrap,mmdebstrap)
	@$(call need-tool,busybox,busybox-static)
	@GO=$(GO) ./scripts/vm/build.sh $(VM)
	@./scripts/vm/run.sh $(VM)

# Tools for check-docs that npm installs (mermaid-cli), kept between runs.
TOOLS ?= .tools

check-docs: ## check the book itself: every Mermaid diagram renders, the cloud-init is schema-valid (needs chromium, cloud-init, npm)
	@$(call need-tool,chromium,chromium)
	@$(call need-tool,cloud-init,cloud-init)
	@command -v npm >/dev/null || { echo "make check-docs needs npm: apt-get install npm"; exit 2; }
	@./scripts/check-docs.sh $(TOOLS)

clean: ## remove bin/, rootfs/ and the VM lane's .vm/ (rootfs/ is root's when sudo built it: sudo make clean)
	rm -rf $(BIN) $(ROOTFS) $(VM) $(TOOLS)

fmt: check-go ## format the Go code
	gofmt -w $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')

vet: check-go ## go vet (with the stress tests), and list unformatted files
	$(GO) vet ./...
	$(GO) vet -tags stress ./06-container/
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './labs/*')); [ -z "$$out" ] || { echo "not gofmt-ed: $$out"; exit 1; }
