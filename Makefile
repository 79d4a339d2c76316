# Ivica. After cloning:  make demo   (the whole system on this machine)
#                        make test   (the test suite, against the real local stack)
# Both install what they need first: the Debian packages of infra/packages.txt (make deps),
# the venvs and the JARs. Prerequisites: Debian or Ubuntu with apt, Python 3.11, make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
SUPERSET_VENV := .venv-superset
MLFLOW_VENV := .venv-mlflow
MLFLOW_VERSION := $(shell sed -n 's/^MLFLOW_VERSION=//p' infra/versions.env)
PYTEST_ARGS ?=

.PHONY: deps setup demo demo-down test lint stack-up stack-down clean

# The system packages (infra/packages.txt): one dpkg-query when they are all there; installed
# as root or with password-less sudo; otherwise the command to run is printed (exit 2).
deps:
	infra/bootstrap.sh

setup: deps $(VENV)/.installed $(SUPERSET_VENV)/.installed $(MLFLOW_VENV)/.installed infra/lib/.versions

# TrackEval (`ivica eval tracking`) goes in without its declared dependencies: they conflict
# with PyFlink's numpy and the edge's headless OpenCV (pyproject.toml, the mlops extra).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[jobs,edge,mlops,dev]'
	$(VENV)/bin/pip install -q --no-deps 'trackeval==1.3.0' 'tabulate>=0.9'
	touch $@

# apache-superset pins numpy/pandas/pyarrow differently from apache-flink: its own venv.
# flask-caching 2.5 breaks app creation in Superset 6.1.0.
$(SUPERSET_VENV)/.installed:
	$(PYTHON) -m venv $(SUPERSET_VENV)
	$(SUPERSET_VENV)/bin/pip install -q --upgrade pip
	$(SUPERSET_VENV)/bin/pip install -q 'apache-superset==6.1.0' 'flask-caching==2.3.1' rich cachetools 'psycopg2-binary>=2.9'
	touch $@

# The MLflow tracking server (`ivica stack up --with mlops`) pins pandas/pyarrow apart from
# PyFlink too. Its version is infra/versions.env's, as docker compose's image. SQLAlchemy 2.1
# dropped a pool class MLflow 3.6 imports.
$(MLFLOW_VENV)/.installed: infra/versions.env
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/pip install -q --upgrade pip
	$(MLFLOW_VENV)/bin/pip install -q 'mlflow==$(MLFLOW_VERSION)' 'sqlalchemy<2.1' 'psycopg2-binary>=2.9' 'boto3>=1.34'
	touch $@

infra/lib/.versions: infra/versions.env infra/pom.xml $(shell find jobs/udf -type f -not -path '*/target/*') $(VENV)/.installed | deps
	$(VENV)/bin/ivica stack fetch

# The gender-training tests need PyTorch (the `train` extra: CPU torch from PyPI with its CUDA
# wheels, about 4 GB), so `make test` installs it and `make setup` and the demo leave it out.
$(VENV)/.train: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e '.[train]'
	touch $@

demo: setup
	$(VENV)/bin/ivica demo

demo-down:
	$(VENV)/bin/ivica demo --down

# pytest's exit code 5 (no tests collected) is a failure here.
test: setup $(VENV)/.train
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

stack-up: setup
	$(VENV)/bin/ivica stack up

stack-down:
	$(VENV)/bin/ivica stack down

clean: stack-down
	rm -rf state infra/lib infra/target
