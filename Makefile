# stackcraft.openstack -- developer entry points.
#   make test   lint, unit tests, ansible-test sanity, collection build and
#               the Molecule scenarios (creates .venv and host tools itself)
#   make test-vlan  the VLAN mode on two libvirt VMs (not in make test)
#   make aio    all-in-one cloud on a disposable machine (see README);
#               Debian 13 / OpenStack 2025.1, or Debian 12 / Zed with
#               make aio STACKCRAFT_SUITE=bookworm
#   make aio-down  remove that machine
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV      ?= $(CURDIR)/.venv
PYTHON    ?= python3
BUILD     := $(CURDIR)/build
# ansible-test and the unit tests import the collection as
# ansible_collections.stackcraft.openstack: they run in a copy placed so.
COPY_ROOT := $(BUILD)/tree
COPY      := $(COPY_ROOT)/ansible_collections/stackcraft/openstack
# Playbooks and Molecule find the collection through this symlink.
COLL_ROOT := $(BUILD)/collections

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLL_ROOT)
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help venv collection-link tree static lint unit argspec sanity sanity-prep build guest host molecule test test-vlan aio aio-down clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

$(VENV)/.stamp: requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV) \
	  || { apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.stamp

collection-link:
	mkdir -p $(COLL_ROOT)/ansible_collections/stackcraft
	ln -sfn $(CURDIR) $(COLL_ROOT)/ansible_collections/stackcraft/openstack

# A copy of the tracked (and new, not ignored) files only: no .venv, no build.
tree:
	rm -rf $(COPY_ROOT) && mkdir -p $(COPY)
	git ls-files -z --cached --others --exclude-standard \
	  | while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done \
	  | tar -c --null -T - -f - | tar -x -C $(COPY) -f -

# A HOME of its own: ansible-lint's caches stay out of the ~/.ansible that
# the scenarios running beside it use.
lint: venv collection-link
	HOME=$(BUILD)/lint-home ansible-lint --offline

unit: venv tree
	cd $(COPY) && PYTHONPATH=$(COPY_ROOT) python -m pytest -q -p no:cacheprovider tests/unit

# ansible-test fetches its pip bootstrap script from a host we cannot reach;
# seed its cache with an equivalent built on PyPI's pip wheel.
ANSIBLE_TEST_CACHE := $(HOME)/.ansible/test/cache
ANSIBLE_TEST_PIP    = $(shell sed -n "s/^ *pip='\(.*\)',/\1/p" $(wildcard $(VENV)/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py) 2>/dev/null)

# shellcheck: without it ansible-test skips its shellcheck test with a warning.
sanity-prep: venv
	command -v shellcheck >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q shellcheck
	mkdir -p $(ANSIBLE_TEST_CACHE)
	test -n "$(ANSIBLE_TEST_PIP)"
	ls $(ANSIBLE_TEST_CACHE)/pip-$(ANSIBLE_TEST_PIP)-py3-none-any.whl >/dev/null 2>&1 \
	  || pip download -q --no-deps --only-binary=:all: -d $(ANSIBLE_TEST_CACHE) pip==$(ANSIBLE_TEST_PIP)
	install -m 0644 tests/tools/get_pip_offline.py $(ANSIBLE_TEST_CACHE)/get_pip_$(subst .,_,$(ANSIBLE_TEST_PIP)).py

# ansible-test lists files with git: the copy gets a repository of its own.
sanity: sanity-prep tree
	cd $(COPY) && git init -q . && ansible-test sanity --local --python 3.11 --requirements --color no

build: venv tree
	mkdir -p $(BUILD)/dist
	ansible-galaxy collection build --force --output-path $(BUILD)/dist $(COPY)

# Host tools for the test machines (debootstrap, nspawn, libvirt, bridge, apt cache).
host:
	tests/harness/host-setup

molecule: venv collection-link host
	tests/harness/run-scenarios

# Role argument specs reject bad input before any host changes.
argspec: venv collection-link
	pytest -q -p no:cacheprovider tests/roles

# The smoke tests' guest (Debian kernel + busybox/dropbear initramfs) booted
# under qemu: DHCP, metadata key, config drive, SSH.
guest:
	tests/images/build-guest
	tests/images/test-guest

# The checks that need no machine run beside the guest build and the
# scenarios (the first two are light), their output kept in
# build/logs/static.log and shown at the end; either lane failing fails.
# The scenarios' failed tasks are shown again last: CI keeps a log's tail.
# What installs host packages runs first: the lanes would race for dpkg.
static: lint unit argspec sanity build

test: venv collection-link host sanity-prep
	mkdir -p $(BUILD)/logs
	rm -f $(BUILD)/logs/failures.txt
	$(MAKE) --no-print-directory static >$(BUILD)/logs/static.log 2>&1 & static=$$!; \
	machines=0; $(MAKE) --no-print-directory guest molecule || machines=$$?; \
	checks=0; wait $$static || checks=$$?; \
	if [ $$checks = 0 ]; then tail -n 20 $(BUILD)/logs/static.log; else cat $(BUILD)/logs/static.log; fi; \
	echo "static checks (lint unit argspec sanity build): $$([ $$checks = 0 ] && echo ok || echo FAILED)"; \
	echo "machines (guest, scenarios): $$([ $$machines = 0 ] && echo ok || echo FAILED)"; \
	if [ -s $(BUILD)/logs/failures.txt ]; then echo; echo "why (again, from $(BUILD)/logs/failures.txt):"; cat $(BUILD)/logs/failures.txt; fi; \
	[ $$checks = 0 ] && [ $$machines = 0 ]

# The VLAN mode on libvirt VMs (own kernel, 802.1Q), which the nspawn
# machines of `make test` cannot run; not in `make test` for CI's hour
# (docs/testing.md has its time).
test-vlan: venv collection-link host
	tests/harness/run-scenarios vlan

clean:
	rm -rf $(BUILD)

# The all-in-one cloud on a disposable machine (tests/harness/aio): a libvirt
# VM where KVM works, an nspawn machine otherwise; site.yml, then the smoke
# test. `make aio` again converges the running machine; aio-down removes it.
aio: venv collection-link host
	tests/harness/aio up

aio-down:
	tests/harness/aio down
