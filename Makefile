# effc: the two commands. `make demo` and `make test` each install what is
# missing, configure and build, then run their job.

BUILD ?= build
# ccache (used when installed) keys on paths relative to the checkout, so a
# fresh clone elsewhere reuses what an earlier build compiled.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= 1
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all bootstrap configure build demo test check unit bench eval docs format format-check clean fuzz matrix sanitize

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

# AddressSanitizer + UndefinedBehaviorSanitizer build of effc's tools in
# $(SAN_BUILD), then the lit suites that drive them on IR (dialect, passes,
# lowerings, targets, the importer, the tools and the fuzz smoke run) under
# it: any report fails the run.
SAN_BUILD ?= build-san
SAN_SUITES = Dialect Transforms Conversion Target Frontend tools
sanitize: bootstrap
	@if [ ! -f $(SAN_BUILD)/build.ninja ]; then \
	  cmake -G Ninja -S . -B $(SAN_BUILD) $(CMAKE_FLAGS) \
	    -DEFFC_SANITIZE=address,undefined; \
	fi
	ninja -C $(SAN_BUILD) -j $(JOBS) effc-opt effc-translate effc-run \
	  effc-import-onnx effc-compile
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  /usr/lib/llvm-22/bin/lit -q $(addprefix $(SAN_BUILD)/test/,$(SAN_SUITES))

# Rewrites the README's precision x target matrix from a run of
# scripts/precision_matrix.py (test/integration/precision-matrix.test
# fails while the README's copy differs from what the build does).
matrix: build
	python3 scripts/precision_matrix.py --build $(BUILD) --out $(BUILD)/matrix --readme README.md --update

# Longer mutation fuzzing than make test's smoke run (scripts/fuzz.py):
# every seed file under test/, FUZZ_COUNT cases, failing inputs kept in
# $(BUILD)/fuzz. FUZZ_SEED picks another deterministic sequence.
FUZZ_COUNT ?= 2000
FUZZ_SEED ?= 1
fuzz: build
	python3 scripts/fuzz.py --bin $(BUILD)/bin --seed $(FUZZ_SEED) \
	  --count $(FUZZ_COUNT) --keep $(BUILD)/fuzz \
	  --pipeline "--effc-raise --effc-rewrite-attention --effc-prune=method=nm --effc-assign-precision=weights=i8 --effc-quantize" \
	  --pipeline "--effc-raise --effc-cpu-pipeline" \
	  --pipeline "--effc-raise --effc-gpu-pipeline" \
	  $$(find test/Transforms test/models/frontend test/integration -name '*.mlir' | sort)

# The real-model suite (scripts/models/): exports the models with torch-mlir
# and to ONNX, runs every compression recipe through effc and ONNX Runtime's
# quantizer beside it, and writes bench/results/models.{md,json,png}. Its
# Python packages go into a venv ($(EVAL_VENV), seeing the system's
# site-packages); `make eval EVAL_PYTHON=python3` uses that interpreter as it
# is. EVAL_ARGS passes options to scripts/models/eval.py (e.g.
# EVAL_ARGS="--models digits_mlp --forms linalg").
EVAL_VENV ?= $(BUILD)/eval-venv
ifdef EVAL_PYTHON
EVAL_PY := $(EVAL_PYTHON)
EVAL_DEPS :=
else
EVAL_PY := $(EVAL_VENV)/bin/python
EVAL_DEPS := $(EVAL_VENV)/.installed
endif
EVAL_ARGS ?=
MODELS_DIR ?= $(BUILD)/models

$(EVAL_VENV)/.installed: scripts/eval-requirements.txt
	python3 -m venv --system-site-packages $(EVAL_VENV)
	$(EVAL_VENV)/bin/python -m pip install --quiet -r scripts/eval-requirements.txt
	touch $@

$(MODELS_DIR)/.exported: $(EVAL_DEPS) scripts/models/models.py scripts/models/export.py examples/pytorch/effc_torch.py
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(EVAL_PY) scripts/models/export.py --out $(MODELS_DIR)
	touch $@

eval: build $(MODELS_DIR)/.exported
	$(EVAL_PY) scripts/models/eval.py --models-dir $(MODELS_DIR) --bin $(BUILD)/bin \
	  --work $(MODELS_DIR)/eval --results bench/results $(EVAL_ARGS) \
	  --command "make eval$(if $(EVAL_ARGS), EVAL_ARGS='$(EVAL_ARGS)')"
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(EVAL_PY) scripts/models/sparsegpt_reference.py \
	  --out bench/results/sparsegpt_reference.md

# bench/run.sh: GEMM, attention, sparse, quant and models (BENCH=<part> runs
# one). The models part (end-to-end latency against PyTorch and ONNX Runtime,
# bench/models/run.sh) runs make eval's Python on make eval's exported
# models: it first runs `make $(MODELS_DIR)/.exported` (the rules above, so
# the venv and the export are made or refreshed as for eval; EVAL_PYTHON and
# MODELS_DIR apply the same way). A failure there fails only that part.
bench: build
	@EVAL_PYTHON=$(EVAL_PYTHON) MODELS_DIR=$(MODELS_DIR) bash bench/run.sh $(BUILD)

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
