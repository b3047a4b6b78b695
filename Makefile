# The menu of common commands: `make` alone lists them. Each is one line of plain shell, so it can be
# run by hand where make is missing.

# PostgreSQL for `make test-pg`; the test runner creates and drops its own test_<name> database.
PG_URL ?= postgres://postgres@127.0.0.1:5432/luoshi_dev

.DEFAULT_GOAL := help
.PHONY: help demo test test-pg lint format typecheck migrations-check ci

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-17s %s\n", $$1, $$2}'

demo: ## Run the demo city at http://127.0.0.1:8000/ (Ctrl-C stops it)
	uv run luoshi demo

test: ## Run the tests on SQLite
	env -u DATABASE_URL uv run pytest

test-pg: ## Run the tests on PostgreSQL (PG_URL=postgres://…)
	DATABASE_URL=$(PG_URL) uv run pytest

lint: ## Check style and format (ruff) and types (mypy)
	uv run ruff check src tests
	uv run ruff format --check src tests
	uv run mypy

format: ## Format the code and apply ruff's safe fixes
	uv run ruff format src tests
	uv run ruff check --fix src tests

typecheck: ## Check types only (mypy with django-stubs)
	uv run mypy

migrations-check: ## Fail when a model change has no migration
	uv run python -m django makemigrations --check --dry-run --settings=luoshi.config.settings

ci: ## Everything CI runs: lint, types, migrations, tests on SQLite and PostgreSQL
	bash .ci/run
