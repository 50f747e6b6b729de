# gexnb: two commands for a fresh machine.
#   make demo   -> installs into .venv, runs every notebook (profile quick), prints the summary
#   make test   -> installs into .venv, runs the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.gexnb-installed
KERNEL := $(VENV)/share/jupyter/kernels/gexnb/kernel.json
# JupyterLab settings shipped with gexnb: the widget manager saves widget state in the notebook
# (saveState), so a reopened notebook shows the viewers' last view.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
PROFILE ?= quick
# pytest-xdist workers for the test targets: one per core, at most 4 (each imports a Keras
# backend; the notebook tests start a kernel more). PYTEST_WORKERS=0 runs the tests in one process.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --maxprocesses=4 --dist loadscope
export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: install demo test test-browser test-jax test-torch lint bench gpu-wheels clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,tensorflow]"
	touch $(STAMP)

$(KERNEL): | $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name gexnb --display-name "Python (gexnb)" >/dev/null

$(LAB_SETTINGS): jupyter/overrides.json | $(STAMP)
	mkdir -p $(dir $(LAB_SETTINGS))
	cp jupyter/overrides.json $(LAB_SETTINGS)

install: $(STAMP) $(KERNEL) $(LAB_SETTINGS)

demo: install
	$(BIN)/gexnb run-all --profile $(PROFILE)

test: install
	$(PYTEST)

test-browser: install
	bash tests/browser/setup.sh
	$(BIN)/python -m pytest -q -m browser tests/browser

# The models, training, checkpoints, explanations and motifs on a second Keras backend (JAX).
JAX_TESTS := tests/test_train.py tests/test_faults_train.py tests/test_faults_models.py \
	tests/test_training_config.py tests/test_dgex_recipe.py tests/test_model_saving.py \
	tests/test_predict.py tests/test_explain.py tests/test_motifs.py tests/test_layers.py \
	tests/test_gene_sequence_models.py tests/test_landmark_models.py tests/test_promoter_model.py \
	tests/test_taaf.py tests/test_widgets.py tests/test_batchnorm_recalibration.py tests/test_backend.py \
	tests/test_dream_models.py tests/test_recipe_options.py tests/test_dream_pipeline.py \
	tests/test_landmark_predictor.py
test-jax: install
	$(BIN)/python -m pip install --quiet -e ".[test,tensorflow,jax]"
	KERAS_BACKEND=jax $(PYTEST) $(JAX_TESTS)

# The same tests on PyTorch (not in CI: torch is a large download on most machines).
test-torch: install
	$(BIN)/python -m pip install --quiet -e ".[test,tensorflow,torch]"
	KERAS_BACKEND=torch $(PYTEST) $(JAX_TESTS)

lint: install
	$(BIN)/ruff check gexnb tests benchmarks
	$(BIN)/ruff format --check gexnb tests benchmarks
	$(BIN)/python -m mypy

bench: install
	$(BIN)/python benchmarks/run_all.py

# Wheels for the lent GPU machine (Python 3.12, x86-64, PyTorch and JAX, no TensorFlow, no package
# registry): Keras at this venv's version, the two packages it needs beyond that machine's image,
# and gexnb itself, in .whl/ (git-ignored). docs/benchmarks/gpu.md has the command that uses them.
GPU_WHEEL_TAGS := --only-binary=:all: --python-version 3.12 --implementation cp \
	--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
	--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
gpu-wheels: install
	rm -rf .whl && mkdir -p .whl
	$(BIN)/python -m pip download --quiet --no-deps $(GPU_WHEEL_TAGS) -d .whl \
		"keras==$$($(BIN)/python -c 'import keras; print(keras.__version__)')" namex optree
	$(BIN)/python -m pip wheel --quiet --no-deps -w .whl . && rm -rf build
	ls -l .whl

clean:
	rm -rf runs .pytest_cache .ruff_cache .mypy_cache
