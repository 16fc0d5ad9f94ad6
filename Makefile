# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Both create the virtual environment in .venv when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
FR := $(VENV)/bin/fr-eval
STAMP := $(VENV)/.fr-eval-installed

.PHONY: env demo test test-core lint synth-suite bench clean

env: $(STAMP)

# dlib: the prebuilt dlib-bin wheel (pip would otherwise compile dlib for ~9 min).
# face_recognition: --no-deps, so that it does not pull the source dlib.
# setuptools<81: face_recognition_models imports pkg_resources.
$(STAMP): setup.cfg pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install "setuptools<81" wheel
	$(PIP) install dlib-bin
	$(PIP) install -e ".[test,distributed,dlib]"
	$(PIP) install --no-deps face-recognition==1.3.0
	touch $(STAMP)

# nothing downloads during make demo or make test (weights ship with fr-eval or its packages)
export FR_EVAL_OFFLINE = 1

# the bundle's own matcher (dlib, which its adjudication is of), then the same footage with the YuNet detector
demo: env
	$(FR) replay datasets/hamilton --out runs/demo --overwrite
	$(FR) score runs/demo
	$(FR) report runs/demo -o reports/demo.pdf
	$(FR) replay datasets/hamilton --out runs/demo-yunet --detector yunet --overwrite --quiet
	$(FR) compare runs/demo runs/demo-yunet

# the whole suite on both cores (test modules spread over two processes; numbers never depend on it)
test: env lint
	$(PY) -m pytest -q -ra -n 2 --dist loadfile

# the core suite, under a minute: everything but the tests marked slow (real matchers, footage, processes)
test-core: env lint
	$(PY) -m pytest -q -ra -m "not slow"

# the linter and the type checker, clean on fr_eval/ (configuration: pyproject.toml, setup.cfg [mypy])
lint: env
	$(VENV)/bin/ruff check fr_eval
	$(VENV)/bin/mypy

synth-suite: env
	$(FR) synth --suite datasets/synthetic/suite --out-root datasets/synthetic/build

bench: env
	$(PY) benchmarks/replay.py
	$(PY) benchmarks/sweep.py

clean:
	rm -rf runs build *.egg-info
