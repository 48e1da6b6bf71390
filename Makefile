# The README's two commands. Both bootstrap first (seconds when nothing changed).
.PHONY: bootstrap run test lint

TOOL := .devenv/venvs/tool/bin

bootstrap:
	devenv/bootstrap

## run: the main job - toolchain check (and, once the platform lands, render every env)
run: bootstrap
	.devenv/bin/parity doctor

## lint: ruff and mypy (strict on src)
lint: bootstrap
	$(TOOL)/ruff check src tests devenv pipelines
	$(TOOL)/ruff format --check src tests devenv pipelines
	$(TOOL)/mypy

## test: lint, then every test, integration tests included
test: lint
	PATH="$(CURDIR)/.devenv/bin:$(CURDIR)/$(TOOL):$$PATH" $(TOOL)/pytest
