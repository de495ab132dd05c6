.PHONY: run test check lint types ingest pdfs bench

run:            ## ingest the bundled corpus when needed and start the chat
	uv run nro serve

test:           ## everything the tests need, then the tests
	bash scripts/test.sh

lint:
	uv run --group dev ruff check assistant ingest tests bench

types:
	uv run --group dev mypy assistant ingest --ignore-missing-imports

check: lint types test

ingest:
	uv run nro ingest corpus/

pdfs:           ## regenerate the guidance-report PDFs from their source text
	uv run --group dev python scripts/guidance/build_pdfs.py

bench:
	uv run --group dev python bench/bench_ingest.py
	uv run --group dev python bench/bench_query.py
