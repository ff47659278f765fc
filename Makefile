# Shortcuts; `./dev` does the work and needs nothing but Python.
.PHONY: run test lint ci bench

run:
	./dev run

test:
	./dev test

lint:
	./dev lint

ci:
	.ci/run

bench:
	.venv/bin/python bench/bench_matching.py
