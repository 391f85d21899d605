# `make demo` and `make test` do all their own set-up on a fresh Debian/Ubuntu machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: demo test sysdeps sysdeps-test bench model calibrate clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

sysdeps:
	@bash scripts/system-deps.sh

sysdeps-test:
	@WITH_BROWSER=1 bash scripts/system-deps.sh

demo: $(STAMP) sysdeps
	$(BIN)/evidence report corpora/demo -o $(OUT)
	$(BIN)/evidence tag corpora/demo > $(OUT)/timeline.jsonl 2> /dev/null
	@echo "reports written to $(OUT)/: open $(OUT)/index.html; complaint register $(OUT)/register.xlsx"
	@echo "tagged timeline (JSON Lines) in $(OUT)/timeline.jsonl"

test: $(STAMP) sysdeps-test
	$(BIN)/python -m pytest

bench: $(STAMP) sysdeps
	$(BIN)/python bench/run_all.py

# The statistical backoff shipped in the package, retrained on its parts (not dev7, not test).
TRAIN_PARTS := dev dev2 dev3 dev4 dev5 dev6 dev8 dev9 dev10
model: $(STAMP)
	$(BIN)/evidence train $(addprefix corpora/eval/,$(TRAIN_PARTS)) --out extractor/nlp/models/backoff.json

# The claim confidence, counted on the real dialogues (their texts are not in this
# repository: corpora/real/README.md says how to rebuild them); checked on the held-out part.
calibrate: $(STAMP)
	$(BIN)/evidence calibrate corpora/real/dev --check corpora/real/heldout --out extractor/nlp/models/calibration.json

clean:
	rm -rf $(VENV) out build *.egg-info
