# The two commands a new user needs: `make demo` and `make test`.
.PHONY: demo test test-postgres lint bench bench-lockout bench-tokens bench-passkeys bench-scale bench-session bench-peers

PORT ?= 8000

demo:
	@./scripts/setup
	.venv/bin/entryway demo --port $(PORT)

# Browser tests (and the PostgreSQL run) use two processes, one test module each at a time;
# the API fuzz keeps one process: its last test checks what the fuzz reached in that process.
test:
	@./scripts/setup --browser
	.venv/bin/pytest --ignore=tests/browser
	.venv/bin/pytest -n 2 --dist loadfile tests/browser

test-postgres:
	@./scripts/setup
	@./scripts/services
	.venv/bin/pytest -n 2 --dist loadfile --db=postgresql tests/adapters tests/flows tests/web \
		--ignore=tests/web/test_api_fuzz.py
	.venv/bin/pytest --db=postgresql tests/web/test_api_fuzz.py

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

bench-tokens:
	@./scripts/setup
	.venv/bin/python bench/tokens.py

bench-passkeys:
	@./scripts/setup
	.venv/bin/python bench/passkeys.py

bench-scale:
	@./scripts/setup
	.venv/bin/python bench/scale.py

bench-session:
	@./scripts/setup
	.venv/bin/python bench/session.py

bench-peers:
	@./scripts/setup
	.venv/bin/python bench/peers.py
