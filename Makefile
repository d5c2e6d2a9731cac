# csrlearn — the two commands a newcomer needs are `make lab` and `make test`.
# Both create .venv (with python3 -m venv) and install the package with its extras when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab refuses to run as root without --allow-root (containers, CI, training VMs run as root).
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
LAB_IP ?= 127.0.0.1
LAB_PORT ?= 8888

.PHONY: lab test notebooks bench hub classroom-test browser-deps clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[lab,test]'
	@touch $(STAMP)

## make lab: open the course in JupyterLab (prints the URL with its token; no browser is started)
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) \
	    --LabApp.news_url=None $(ROOT_FLAG)

## make test: the whole suite — unit, CLI, openssl interop, nbval over the notebooks, browser, classroom
test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

## Debian's chromium for the real-browser test (installed with apt-get when run as root and missing)
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: the browser test needs Debian's chromium: sudo apt-get install chromium"; fi; }

## make notebooks: re-execute every notebook in place (outputs are committed)
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.record_timing=False \
	    notebooks/[0-9][0-9]-*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
