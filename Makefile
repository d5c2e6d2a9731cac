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

## make bench: csrlearn match vs the openssl loop vs the library floor over 1,000 files (BENCH_FILES=N to change)
BENCH_FILES ?= 1000
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_match.py --files $(BENCH_FILES)

## JupyterHub's proxy (configurable-http-proxy) from npm, pinned by deploy/jupyterhub/package-lock.json
HUB_DIR   := deploy/jupyterhub
HUB_PROXY := $(HUB_DIR)/node_modules/.installed
HUB_IP   ?= 127.0.0.1
HUB_PORT ?= 8000
HUB_API_PORT ?= 8001
HUB_HUB_PORT ?= 8081
LEARNERS ?= 10
$(HUB_PROXY): $(HUB_DIR)/package.json $(HUB_DIR)/package-lock.json
	npm ci --prefix $(HUB_DIR) --no-audit --no-fund --loglevel=error
	@touch $@

## make hub: JupyterHub for a class on this machine at http://$(HUB_IP):$(HUB_PORT) (HUB_IP=0.0.0.0 for
## a closed room's network). Shared learner password and trainer password are kept in .hub/; Ctrl-C stops all.
hub: $(STAMP) $(HUB_PROXY)
	@mkdir -p .hub && chmod 700 .hub
	@test -s .hub/learner-password || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(9))' > .hub/learner-password)
	@test -s .hub/trainer-password || (umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))' > .hub/trainer-password)
	@echo "Learners: open http://$(HUB_IP):$(HUB_PORT), any name (a-z 0-9 . _ -), password: $$(cat .hub/learner-password)"
	@echo "Trainer:  log in as 'trainer' with the password in .hub/trainer-password (admin page: /hub/admin)"
	CSRLEARN_HUB_STATE=$(CURDIR)/.hub CSRLEARN_HUB_IP=$(HUB_IP) CSRLEARN_HUB_PORT=$(HUB_PORT) \
	    CSRLEARN_HUB_API_PORT=$(HUB_API_PORT) CSRLEARN_HUB_HUB_PORT=$(HUB_HUB_PORT) \
	    $(BIN)/jupyterhub -f $(HUB_DIR)/jupyterhub_config.py

## make classroom-test: a real hub, LEARNERS (default 10) learners running a notebook at once; prints the numbers
classroom-test: $(STAMP) $(HUB_PROXY)
	$(BIN)/python $(HUB_DIR)/classroom_test.py --learners $(LEARNERS) --json .hub/classroom-report.json

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
