# Entry points: `make run` serves the web chat, `make test` lints and runs the fast tests, `make test-all` (CI)
# lints and runs every test. Each creates .venv and installs the project into it when missing or out of date.
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

CHROMIUM := /usr/bin/chromium
# Debian's documentation packages that make the eval corpora (eval/corpora.toml) besides the article.
DOC_PACKAGES := python3-doc sqlite3-doc debian-reference-en git-doc
DOC_STAMP := /usr/share/doc/git-doc/gitfaq.html /usr/share/doc/sqlite3/faq.html \
	/usr/share/doc/python3-doc/html/faq/general.html /usr/share/doc/debian-reference-en/docs/ch01.en.html
APT := if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); \
	else sudo -n apt-get update -q && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(1); fi
AXE := .cache/npm/node_modules/axe-core/axe.min.js

.PHONY: run test test-all lint ingest install clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	# torch first and pinned: the CPU wheel on local disk, never the multi-GB CUDA build
	$(VENV)/bin/pip install --quiet torch==2.13.0
	$(VENV)/bin/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

# Browser tests drive Debian's chromium through Playwright (never `playwright install`).
$(CHROMIUM):
	$(call APT,chromium)

$(DOC_STAMP) &:
	$(call APT,$(DOC_PACKAGES))

# The browser tests inject axe-core (accessibility checks) into the chat; installed from npm, never from a CDN.
$(AXE):
	npm install --prefix .cache/npm --no-audit --no-fund --silent axe-core@4

install: $(STAMP)

run: $(STAMP)
	$(PYTHON) app.py

ingest: $(STAMP)
	$(VENV)/bin/rag ingest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# The fast tier: everything but the tests marked slow (browsers, the eval gate, multi-process faults).
test: lint $(DOC_STAMP)
	$(PYTHON) -m pytest -m "not slow"

test-all: lint $(CHROMIUM) $(DOC_STAMP) $(AXE)
	$(PYTHON) -m pytest

clean:
	rm -rf $(VENV) .rag
