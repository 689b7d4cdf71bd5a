# The two commands a new user needs: `make demo` and `make test`.
.PHONY: demo test test-postgres lint bench bench-lockout

PORT ?= 8000

demo:
	@./scripts/setup
	.venv/bin/entryway demo --port $(PORT)

test:
	@./scripts/setup --browser
	.venv/bin/pytest

test-postgres:
	@./scripts/setup
	@./scripts/services
	.venv/bin/pytest --db=postgresql tests/adapters tests/flows tests/web

lint:
	@./scripts/setup
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/lint-imports

bench:
	@./scripts/setup
	.venv/bin/python bench/signin.py

bench-lockout:
	@./scripts/setup
	.venv/bin/python bench/lockout.py
