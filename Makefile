# The README's two commands: `make demo` and `make test`.
CARGO ?= cargo
CC ?= cc
PROFILE_DIR := target/release
LIB := $(PROFILE_DIR)/libmedia_collection.a
# The static library's native dependencies (pinned by tests/static_libs.rs).
STATIC_LIBS := -lcurl -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
CFLAGS ?= -std=c11 -O2 -g -Wall -Wextra -Werror

PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: all deps deps-demo deps-test build demo demo-downloaded test bench fleet clean install docs

all: build

# System packages, per purpose (scripts/install-deps.sh lists them): `make deps` installs all
# that CI uses.
deps:
	./scripts/install-deps.sh ci

deps-demo:
	./scripts/install-deps.sh demo

deps-test:
	./scripts/install-deps.sh test

build:
	$(CARGO) build --release --workspace

target/demo/player: examples/c/player.c include/media_collection.h build
	mkdir -p target/demo
	$(CC) $(CFLAGS) -Iinclude examples/c/player.c $(LIB) $(STATIC_LIBS) -o $@

target/demo/downloaded: examples/c/downloaded.c include/media_collection.h build
	mkdir -p target/demo
	$(CC) $(CFLAGS) -Iinclude examples/c/downloaded.c $(LIB) $(STATIC_LIBS) -o $@

demo: deps-demo target/demo/player
	./scripts/demo.sh

demo-downloaded: deps-demo target/demo/downloaded
	rm -rf target/demo/store
	MC_STORE_DIR=target/demo/store PLAYER=target/demo/downloaded ./scripts/demo.sh

test: deps-test
	$(CARGO) test --workspace --all-targets
	# The library without its optional features (README, Build): it builds, and its unit tests
	# pass, the refusals of what was left out included.
	$(CARGO) test --lib --no-default-features

# Every benchmark figure next to its same-run reference (docs/performance.md); about 45 minutes
# (a 30-minute RSS soak: MC_BENCH_SOAK_SECS shortens it). `scripts/bench.sh --quick` is the
# short CI run.
bench:
	./scripts/bench.sh

# The fleet simulator (README, Reliability: "Fleet simulation"): the real core in 100 000
# simulated players through each fault scenario, figures next to goals, CSV + SVG charts in
# target/fleet. The scale run: make fleet FLEET_ARGS="--players 1000000 --scenario outage".
FLEET_ARGS ?= --players 100000
fleet:
	$(CARGO) run --release -p mc-fleet -- $(FLEET_ARGS)

# Headers, static + shared library (SONAME and links), media_collection.pc: docs/packaging.md.
# No `deps` here: installing must not run apt-get inside a packaging build root.
install: build
	./scripts/install.sh "$(PREFIX)" "$(DESTDIR)"

# HTML API reference of both headers (Doxygen): target/api-docs/html/index.html.
docs:
	./scripts/docs.sh

clean:
	$(CARGO) clean
