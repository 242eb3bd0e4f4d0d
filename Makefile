# Two entry points: `make run` serves the web chat, `make test` runs the test suite.
# Each creates .venv and installs the project into it when missing or out of date.
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test ingest install clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on local disk, never the multi-GB CUDA build
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PYTHON) app.py

ingest: $(STAMP)
	$(VENV)/bin/rag ingest

test: $(STAMP)
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) .rag
