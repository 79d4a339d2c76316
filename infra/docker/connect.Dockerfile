# Kafka Connect (distributed worker) with the Debezium JDBC sink plugin.
# Built by infra/docker-compose.yml; every version comes in as a build arg from
# infra/versions.env, so this file carries no version of its own.
ARG KAFKA_VERSION
FROM apache/kafka:${KAFKA_VERSION}

ARG DEBEZIUM_VERSION

USER root

# Debezium JDBC sink plugin from Maven Central, checked against its published
# SHA-1, unpacked into the directory connect-distributed.properties names as
# plugin.path. curl stays installed: the compose healthcheck uses it.
RUN set -eux; \
    test -n "${DEBEZIUM_VERSION}"; \
    apk add --no-cache curl; \
    file="debezium-connector-jdbc-${DEBEZIUM_VERSION}-plugin.tar.gz"; \
    url="https://repo1.maven.org/maven2/io/debezium/debezium-connector-jdbc/${DEBEZIUM_VERSION}/${file}"; \
    curl -fsSL -o "/tmp/${file}" "${url}"; \
    echo "$(curl -fsSL "${url}.sha1" | cut -c1-40)  /tmp/${file}" | sha1sum -c -; \
    mkdir -p /opt/connect-plugins; \
    tar -xzf "/tmp/${file}" -C /opt/connect-plugins; \
    rm -f "/tmp/${file}"; \
    chown -R appuser:appuser /opt/connect-plugins

USER appuser
