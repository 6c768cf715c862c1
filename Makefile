# Kvalitetsflöde — `make run` (demo on SQLite at http://127.0.0.1:5000), `make test`, `make bench`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
FLASK  := $(VENV)/bin/flask --app app
STAMP  := $(VENV)/.installed

.PHONY: run test bench bench-scripts lint install system-deps clean vendor

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,postgres]'
	touch $(STAMP)

install: $(STAMP)

# Node tooling, pinned in package.json and package-lock.json: bpmnlint for `make lint`, and oidc-provider,
# the real OpenID Connect provider the single sign-on tests run on loopback.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch node_modules/.installed

# The bpmn-js viewer (pinned in package.json) that draws a case's process on its page, copied into
# app/static/vendor (committed, so a clean clone runs without npm; no CDN at run time: the CSP allows
# scripts only from our own origin). `make vendor` refreshes the copy after an upgrade.
VENDOR := app/static/vendor
vendor: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/bpmn-js/dist/bpmn-viewer.production.min.js node_modules/bpmn-js/dist/assets/bpmn-js.css \
	   node_modules/bpmn-js/dist/assets/diagram-js.css $(VENDOR)/

# ruff, import-linter (the layer contract) and mypy on the code; bpmnlint on the diagrams (.bpmnlintrc).
lint: $(STAMP) node_modules/.installed
	$(VENV)/bin/ruff check app tests bench migrations
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy app
	npx bpmnlint bpmn/*.bpmn

# Debian packages the tests need: chromium for Playwright, the libraries WeasyPrint renders PDF with,
# libmagic (an attachment's real type), and
# node/npm for the OpenID Connect provider of the single sign-on tests.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || missing="$$missing libmagic1"; \
	if [ -n "$$missing" ]; then \
	  echo "Installerar:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: $(STAMP) vendor
	$(FLASK) db upgrade
	$(FLASK) demo load
	$(FLASK) run --host 127.0.0.1 --port 5000

# One pytest worker per core (pytest-xdist), each test module on one worker so that a module's shared
# world is built once; every worker has its own databases, servers and ports. KF_TEST_WORKERS=0: serial.
KF_TEST_WORKERS ?= auto
test: $(STAMP) system-deps node_modules/.installed vendor
	$(PY) -m pytest -q -p no:cacheprovider -n $(KF_TEST_WORKERS) --dist loadfile

# One table of `name value unit` rows (bench/table.py): the write path and timers against their floor.
bench: $(STAMP)
	$(PY) bench/table.py

# Every bench script on its own, each with its own, more detailed output.
bench-scripts: $(STAMP)
	@for script in bench/[a-z]*.py; do [ "$$script" = bench/table.py ] && continue; echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf $(VENV) instance .pytest_cache
