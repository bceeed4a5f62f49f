# effc: the two commands. `make demo` and `make test` each install what is
# missing, configure and build, then run their job.

BUILD ?= build
# ccache (used when installed) keys on paths relative to the checkout, so a
# fresh clone elsewhere reuses what an earlier build compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all bootstrap configure build demo test check unit bench docs format format-check clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

configure: bootstrap
	@if [ ! -f $(BUILD)/build.ninja ]; then \
	  cmake -G Ninja -S . -B $(BUILD) $(CMAKE_FLAGS); \
	fi

build: configure
	ninja -C $(BUILD) -j $(JOBS)

demo: build
	@bash examples/demo.sh $(BUILD)

# The whole suite: lit (check-effc, which also runs the GoogleTest unit
# tests through lit) and prints lit's own pass/fail counts.
test: build
	ninja -C $(BUILD) -j $(JOBS) check-effc

bench: build
	@bash bench/run.sh $(BUILD)

docs: build
	ninja -C $(BUILD) mlir-doc
	mkdir -p docs/generated
	rm -f docs/generated/*.md
	cp $(BUILD)/docs/Dialects/*.md $(BUILD)/docs/*.md docs/generated/

# clang-format (LLVM style, .clang-format) on the C++ files changed in the
# last commit, as CI runs it; `make format` rewrites them.
format-check:
	@bash scripts/check-format.sh

format:
	@bash scripts/check-format.sh --fix

clean:
	rm -rf $(BUILD)
