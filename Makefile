# miscope: `make run` opens the TUI on the demo tenant; `make test` runs every test.
GO      ?= go
BIN     ?= miscope
PKGS    := ./...

.PHONY: run build test bench lint fuzz fake screenshots clean

run: build
	./$(BIN) --demo

build:
	$(GO) build -ldflags "-X main.commit=$$(git rev-parse --short HEAD 2>/dev/null)" -o $(BIN) .

test: lint
	$(GO) test -count=1 $(PKGS)

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# Fuzzes the snapshot reader: what it accepts and refuses (FuzzDecode), and that its time and memory grow linearly with
# the input (FuzzDecodeLinear). FUZZTIME=10m for a longer run.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./data/snapshot/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeLinear$$' -fuzztime $(FUZZTIME) ./data/snapshot/

# The fake Azure on the demo tenant: prints the environment that points miscope at it.
fake:
	$(GO) run ./data/fakeazure/cmd/fakeazure

screenshots: build
	./screenshots/make.sh

clean:
	rm -f $(BIN)
