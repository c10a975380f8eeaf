# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench bench-real fuzz screenshots diff-formats real-glance-up real-glance-down diff-real clean
.PHONY: tempest tempest-compare

# A real Glance 33 + Keystone 30 on loopback (../shared/real-glance), for the differential
# suite. Copied into the ignored .real-glance/ (shared/ is read-only); setup.sh builds its
# venvs once (~3 min), start.sh returns when it answers.
REAL_GLANCE_SRC ?= ../shared/real-glance
REAL := .real-glance
DIFF_SEEDS ?= 1 2 3
DIFF_STEPS ?= 2000
DIFF_SURVEY ?= 0
DIFF_SELF_CHECK_STEPS ?= 400

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@# The panel's browser tests drive Debian's chromium (Playwright never downloads one).
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing chromium (Debian) for the panel's browser tests"; \
		(apt-get update -q && apt-get install -y -q --no-install-recommends chromium) || \
		echo "could not install chromium (needs root and apt): tests/panel will fail"; \
	fi
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test,dev]'
	touch $(STAMP) $(RUN_STAMP)

# `make run` installs only what serving needs, quietly (the build's warnings go to a log
# shown only if the install fails), so the banner is the first thing on the screen.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	@echo "installing glance-emulator into $(VENV) (once) ..."
	@$(BIN)/pip install -q --disable-pip-version-check -e . > $(VENV)/install.log 2>&1 \
		|| { cat $(VENV)/install.log; exit 1; }
	@echo "done: the command is $(VENV)/bin/glance-emulator (or: . $(VENV)/bin/activate)"
	@touch $(RUN_STAMP)

run: $(RUN_STAMP)
	@$(BIN)/glance-emulator serve --host 127.0.0.1 --port 9292

# Everything: unit, API, contract (real clients on a live server) and the fuzz run.
test: $(STAMP)
	$(BIN)/python -m pytest -q

# Retake the README's panel screenshots (docs/panel-*.png) with the browser tests.
screenshots: $(STAMP)
	GLANCE_EMULATOR_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/panel/test_sharing_story.py tests/panel/test_faults_page.py

# The edit-run loop: unit and API tests only (no live server, no real clients, no fuzz).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -x tests/unit tests/api

lint: $(STAMP)
	$(BIN)/ruff check emulator tests bench
	$(BIN)/ruff format --check emulator tests bench
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix emulator tests bench
	$(BIN)/ruff format emulator tests bench

# Every figure next to its target, request figures the median of three rounds
# (bench/bench.py); about 25 minutes with the 10-minute soak (BENCH_ARGS="--soak-seconds 60
# --rounds 1" for a quick run). bench-real measures the same
# request kinds on a running real stack (make real-glance-up) into bench/real-glance.json;
# BENCH_ARGS="--real-now" measures them in the same run instead, next to the emulator's.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python bench/bench.py $(BENCH_ARGS)

bench-real: $(STAMP)
	$(BIN)/python bench/bench.py --real

fuzz: $(STAMP)
	GLANCE_EMULATOR_FUZZ_EXAMPLES=200 $(BIN)/python -m pytest -q tests/fuzz

# Upload format inspection against oslo.utils' inspector as Glance 33 runs it, over disk images
# made at test time (tests/differential/test_format_inspection.py). Needs Debian's disk tools
# (installed here if missing; root) and the oslo.utils Glance 33 pins; neither is a runtime
# dependency of the emulator, and the suite is not part of `make test`.
DIFF_TOOLS := qemu-img:qemu-utils xorriso:xorriso sgdisk:gdisk cryptsetup:cryptsetup-bin
OSLO_UTILS := oslo.utils==10.2.0

diff-formats: $(STAMP)
	@missing=""; \
	for pair in $(DIFF_TOOLS); do \
		command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi
	$(BIN)/pip install -q '$(OSLO_UTILS)'
	GLANCE_EMULATOR_DIFF_FORMATS=1 $(BIN)/python -m pytest -q -rs --show-capture=no -o addopts= \
		tests/differential/test_format_inspection.py

$(REAL)/setup.sh:
	cp -r $(REAL_GLANCE_SRC) $(REAL)
	chmod -R u+w $(REAL)

$(REAL)/.venv-glance/.installed: | $(REAL)/setup.sh
	$(REAL)/setup.sh

real-glance-up: $(REAL)/.venv-glance/.installed
	GLANCE_RAW=0 $(REAL)/start.sh

real-glance-down:
	@if [ -x $(REAL)/stop.sh ]; then $(REAL)/stop.sh; fi

# The same requests to the real stack and to an emulator on a free port (not part of
# `make test`). DIFF_SEEDS and DIFF_STEPS size the random walk; DIFF_SURVEY=1 counts
# every divergence instead of stopping (and shrinking) at the first.
diff-real: $(STAMP)
	GLANCE_DIFF_REAL=1 DIFF_SEEDS="$(DIFF_SEEDS)" DIFF_STEPS=$(DIFF_STEPS) \
		DIFF_SURVEY=$(DIFF_SURVEY) DIFF_SELF_CHECK_STEPS=$(DIFF_SELF_CHECK_STEPS) \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/differential

clean:
	rm -rf $(VENV) build *.egg-info

# OpenStack's tempest Image API tests (tempest.api.image) against a live emulator on a free
# port with the accounts of tests/tempest/accounts-scenario.yaml (pre-provisioned, no dynamic
# credentials), or against the real stack with TEMPEST_TARGET=real (started only if nothing
# answers on 127.0.0.1:19292). tempest has its own venv: its pins are not the emulator's.
# Not part of `make test`. Results: .tempest-work/<target>/results.csv; `make tempest-compare`
# lists the tests that pass on real Glance and not here. TEMPEST_COMPUTE=1 turns on
# [service_available] nova, the compute options tempest reads, the sample images of
# ImagesFormatTest (made with qemu-img, installed here if missing) and no format check on
# upload; TEMPEST_ARGS passes more flags (--set section.option=value, --emulator-args
# "...", --image-cache, --[no-]format-images, --[no-]format-enforcement).
TEMPEST_VENV := .tempest-venv
TEMPEST_TARGET ?= emulator
TEMPEST_REGEX ?= ^tempest\.api\.image
TEMPEST_WORKERS ?= 2
TEMPEST_COMPUTE ?= 0
TEMPEST_ARGS ?=

$(TEMPEST_VENV)/.installed:
	$(PYTHON) -m venv $(TEMPEST_VENV)
	$(TEMPEST_VENV)/bin/pip install -q --upgrade pip
	$(TEMPEST_VENV)/bin/pip install -q 'tempest==47.*'
	touch $@

tempest: $(STAMP) $(TEMPEST_VENV)/.installed
	@# With compute the runner makes the sample images of ImagesFormatTest with qemu-img.
	@if [ "$(TEMPEST_COMPUTE)" = 1 ] && ! command -v qemu-img >/dev/null; then \
		echo "installing qemu-utils (Debian) for tempest's image format tests"; \
		(apt-get update -q && apt-get install -y -q --no-install-recommends qemu-utils) || \
		echo "could not install qemu-utils (needs root and apt): ImagesFormatTest will fail"; \
	fi
	$(BIN)/python tests/tempest/run_tempest.py --target $(TEMPEST_TARGET) \
		--regex '$(TEMPEST_REGEX)' --workers $(TEMPEST_WORKERS) \
		$(if $(filter 1,$(TEMPEST_COMPUTE)),--compute) $(TEMPEST_ARGS)

tempest-compare: $(STAMP)
	$(BIN)/python tests/tempest/run_tempest.py --compare

# Ansible's openstack.cloud collection for the docs/ansible playbook and its contract test
# (tests/contract/test_ansible_playbook.py). Its own venv, like tempest's: the `ansible`
# package that bundles the collection is ~550 MB with ansible-core's own pins, none of which
# the emulator's tests need. The playbook's modules run on this venv's Python, so it also
# gets openstacksdk: below 4.15, because openstack.cloud 2.5 (in ansible 12, the last for
# Python 3.11) reads openstack.version.__version__, which openstacksdk 4.15 stopped exporting.
ANSIBLE_VENV := .ansible-venv

$(ANSIBLE_VENV)/.installed:
	$(PYTHON) -m venv $(ANSIBLE_VENV)
	$(ANSIBLE_VENV)/bin/pip install -q --upgrade pip
	$(ANSIBLE_VENV)/bin/pip install -q 'ansible>=12.0' 'openstacksdk>=4.0,<4.15'
	touch $@

.PHONY: ansible-venv
ansible-venv: $(ANSIBLE_VENV)/.installed

test: $(ANSIBLE_VENV)/.installed
