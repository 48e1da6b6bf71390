# The README's two commands. Both bootstrap first (seconds when nothing changed).
.PHONY: bootstrap run test lint bench

TOOL := .devenv/venvs/tool/bin

bootstrap:
	devenv/bootstrap

## run: the main job - the toolchain matches its lock, then the CI gate over every environment
run: bootstrap
	.devenv/bin/parity doctor
	.devenv/bin/parity check

## lint: ruff and mypy (strict on src)
lint: bootstrap
	$(TOOL)/ruff check src tests devenv pipelines benchmarks
	$(TOOL)/ruff format --check src tests devenv pipelines benchmarks
	$(TOOL)/mypy

## test: lint, then every test, integration tests included
# The local stack runs alone afterwards: a whole cluster beside gate all and the clean builds
# would starve them (and it) of two cores.
test: lint
	PATH="$(CURDIR)/.devenv/bin:$(CURDIR)/$(TOOL):$$PATH" $(TOOL)/pytest -n 3 --dist loadfile --ignore tests/test_local_stack.py
	PATH="$(CURDIR)/.devenv/bin:$(CURDIR)/$(TOOL):$$PATH" $(TOOL)/pytest tests/test_local_stack.py

## bench: check/render/diff at 1x and 5x against dyff; lint; gate all; image builds cold/warm against umoci;
##        rollback of prod against kubectl apply + rollout status; batch diff of 10M rows against reladiff;
##        the consumers end to end on the real broker (drain, 25K/s and 50K/s offered) against kafka-consumer-perf-test
bench: bootstrap
	.devenv/venvs/tool/bin/python -m benchmarks.bench_check
	.devenv/venvs/tool/bin/python -m benchmarks.bench_gates
	.devenv/venvs/tool/bin/python -m benchmarks.bench_images
	.devenv/venvs/tool/bin/python -m benchmarks.bench_rollback
	.devenv/venvs/tool/bin/python -m benchmarks.bench_batch_diff
	.devenv/venvs/tool/bin/python -m benchmarks.bench_stream
