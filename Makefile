# CPC Kiosk. The two commands a new user needs: `make demo` and `make test`.
GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -s -w -X cpckiosk/kiosk/daemon.Version=$(VERSION)
# nomsgpack: gin without its msgpack codec (unused here), 6 MB off kioskd.
TAGS     := -tags nomsgpack
CMDS     := kioskd kioskctl centrald
BIN      := bin
DIST     := dist
DEMO_DIR ?= var/demo

.PHONY: build test test-arm bench soak cross bundle demo lint clean

build:
	@mkdir -p $(BIN)
	$(GO) build $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(CMDS))

# Every test: unit tests, the real kioskd process (crash, full disk, locks),
# the printer over a real pseudo-terminal.
test:
	$(GO) test $(TAGS) -count=1 -timeout 12m ./...

# The tests of the packages that need neither a browser nor to run other
# binaries of the target architecture, as arm64 and armv7 code under
# qemu-user (Debian qemu-user-static; no binfmt needed: go test -exec).
ARM_PKGS = $(shell $(GO) list ./... | grep -v -E '/cmd/|/ui$$|/ui/chart$$|/firmware/update$$')
test-arm:
	CGO_ENABLED=0 GOARCH=arm64 $(GO) test $(TAGS) -count=1 -timeout 15m -exec qemu-aarch64-static $(ARM_PKGS)
	CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) test $(TAGS) -count=1 -timeout 15m -exec qemu-arm-static $(ARM_PKGS)

# The performance figures quoted in issue notes.
bench:
	$(GO) run ./cmd/kioskbench
	$(GO) test -run '^$$' -bench . -benchtime 2s ./kiosk/store/ ./ui/ $(wildcard ./printer/*/)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./kiosk/relay/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./firmware/update/

# 500 SIGKILLs of a loaded kioskd; prints the Jepsen-style counts.
soak:
	KIOSK_CRASH_KILLS=500 $(GO) test -count=1 -timeout 60m -run TestCrashSafety -v ./cmd/kioskd/ | grep -E 'kills=|PASS|FAIL|ok'

# Static binaries for the boards: linux/arm64 and linux/arm (GOARM=7).
cross:
	@for cmd in $(CMDS); do \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-arm64/$$cmd ./cmd/$$cmd || exit 1; \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm GOARM=7 $(GO) build $(TAGS) -trimpath -ldflags '$(LDFLAGS)' -o $(DIST)/linux-armv7/$$cmd ./cmd/$$cmd || exit 1; \
	done
	@ls -l $(DIST)/*/

# Signed update bundles of a release for both architectures (README "Updates"):
#   make bundle VERSION=1.1.0 RELEASE=keys/release   (release.key, release.cert)
RELEASE ?= keys/release
bundle: cross
	@echo '$(VERSION)' | grep -Eq '^[0-9]{1,9}(\.[0-9]{1,9}){0,3}$$' || { echo "make bundle: VERSION=$(VERSION): want dotted numbers such as 1.1.0"; exit 1; }
	@for arch in arm64 armv7; do \
	  $(GO) run $(TAGS) ./cmd/kioskctl update sign -key $(RELEASE)/release.key -cert $(RELEASE)/release.cert \
	    -version $(VERSION) -arch $$arch -gzip -out $(DIST)/cpc-kiosk-$(VERSION)-$$arch.tar.gz \
	    $(DIST)/linux-$$arch/kioskd $(DIST)/linux-$$arch/kioskctl || exit 1; \
	done

# The whole system on this machine: centrald and kioskd, enrolled and wired,
# with the simulated printer. Ctrl-C stops both; data stays in $(DEMO_DIR).
demo: build
	@mkdir -p $(DEMO_DIR)
	@set -e; \
	if [ ! -f $(DEMO_DIR)/kiosk/relay.json ]; then \
	  tok=$$($(BIN)/centrald token -data $(DEMO_DIR)/central -cpc ISF -kiosk 1); \
	fi; \
	$(BIN)/centrald -data $(DEMO_DIR)/central -listen 127.0.0.1:8090 -operator-token demo-operator -log text 2>$(DEMO_DIR)/centrald.log & cpid=$$!; \
	trap 'kill $$cpid 2>/dev/null; wait $$cpid 2>/dev/null' EXIT INT TERM; \
	if [ -n "$$tok" ]; then \
	  for i in $$(seq 50); do $(BIN)/kioskctl enroll -data $(DEMO_DIR)/kiosk -central http://127.0.0.1:8090 -token $$tok 2>/dev/null && break; sleep 0.2; done; \
	  for r in admin officer cppt; do echo "demo-$$r" | $(BIN)/kioskctl user add -data $(DEMO_DIR)/kiosk -role $$r -name "Demo $$r" $$r >/dev/null; done; \
	fi; \
	echo "CPC Kiosk demo: data in $(DEMO_DIR), receipts in $(DEMO_DIR)/kiosk/printer/, central log $(DEMO_DIR)/centrald.log"; \
	echo "  kiosk:    http://127.0.0.1:8080/   (the touch pages; try ?lang=ru)"; \
	echo "  staff:    http://127.0.0.1:8080/staff/login   (users admin, officer, cppt; password demo-<user>)"; \
	echo "  health:   http://127.0.0.1:8080/healthz"; \
	echo "  central:  http://127.0.0.1:8090/operator   (operator token: demo-operator)"; \
	echo "  verify:   http://127.0.0.1:8090/verify     (paste an extract's QR text)"; \
	echo "  API:      curl -H 'Content-Type: application/json' -d @docs/example-report.json http://127.0.0.1:8080/api/v1/reports"; \
	echo "Ctrl-C stops both."; \
	$(BIN)/kioskd -data $(DEMO_DIR)/kiosk -listen 127.0.0.1:8080 -printer sim -cpc ISF -kiosk 1 -relay-poll 2s -places "Истаравшан,Навобод,Гулистон" -log text

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

clean:
	rm -rf $(BIN) $(DIST)
