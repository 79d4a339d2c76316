# Flink (JobManager and TaskManager) with PyFlink and the Kafka SQL connector.
# Built by infra/docker-compose.yml; every version comes in as a build arg from
# infra/versions.env, so this file carries no version of its own.
ARG FLINK_VERSION
FROM flink:${FLINK_VERSION}-java17

ARG FLINK_VERSION
ARG FLINK_KAFKA_CONNECTOR_VERSION

# The base image is Ubuntu; PIP_BREAK_SYSTEM_PACKAGES lets pip install into the
# system Python on releases that mark it externally managed (ignored elsewhere).
ENV PIP_BREAK_SYSTEM_PACKAGES=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN set -eux; \
    test -n "${FLINK_VERSION}"; \
    test -n "${FLINK_KAFKA_CONNECTOR_VERSION}"; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3 python3-pip python3-dev curl ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    ln -sf /usr/bin/python3 /usr/bin/python

# PyFlink must match the cluster exactly. The other packages are what jobs/ and
# contracts/ import (the same ranges as pyproject.toml's dependencies).
RUN pip3 install \
      "apache-flink==${FLINK_VERSION}" \
      "pydantic>=2.7,<3" \
      "pyyaml>=6" \
      "jsonschema>=4.20" \
      "kafka-python>=3.0.12,<4" \
      "tqdm>=4.66"

# Kafka SQL connector from Maven Central, checked against its published SHA-1.
RUN set -eux; \
    jar="flink-sql-connector-kafka-${FLINK_KAFKA_CONNECTOR_VERSION}.jar"; \
    url="https://repo1.maven.org/maven2/org/apache/flink/flink-sql-connector-kafka/${FLINK_KAFKA_CONNECTOR_VERSION}/${jar}"; \
    curl -fsSL -o "/opt/flink/lib/${jar}" "${url}"; \
    echo "$(curl -fsSL "${url}.sha1" | cut -c1-40)  /opt/flink/lib/${jar}" | sha1sum -c -; \
    chown flink:flink "/opt/flink/lib/${jar}"

# Checkpoint directory: a named volume is mounted here and inherits this owner.
# jobs/ and contracts/ are mounted read-only under /opt/ivica.
RUN mkdir -p /checkpoints /opt/ivica && chown flink:flink /checkpoints
ENV PYTHONPATH=/opt/ivica
