# The Ivica job image for the Flink Kubernetes Operator (infra/k8s/*.yaml).
#
# infra/docker/flink.Dockerfile bakes PyFlink and the Kafka SQL connector but leaves
# /opt/ivica empty (docker compose mounts jobs/ and contracts/ there). An operator-managed
# application cluster has no such mount, so this image adds the code on top of it.
#
# Build the base first (see infra/k8s/README.md), then, from the repository root, send only
# what this file needs as the build context (the repository root holds .venv/ and state/):
#
#   tar -cf - --exclude=__pycache__ --exclude=target jobs contracts infra/k8s/job-image.Dockerfile \
#     | docker build -f infra/k8s/job-image.Dockerfile --build-arg FLINK_VERSION=... \
#         --build-arg JACKSON_VERSION=... -t IMAGE -
#
# Like flink.Dockerfile, it names no version of its own: FLINK_VERSION and JACKSON_VERSION come
# from infra/versions.env.
ARG FLINK_VERSION

# The jobs' Java functions (jobs/udf: the contract's parser and the window aggregates), built
# from the sources in the context; jackson-core is shaded inside. JACKSON_VERSION comes from
# infra/versions.env like FLINK_VERSION.
FROM maven:3.9-eclipse-temurin-17 AS udf
ARG FLINK_VERSION
ARG JACKSON_VERSION
COPY jobs/udf /build/udf
RUN mvn -q -B -f /build/udf/pom.xml -Dflink.version=${FLINK_VERSION} \
      -Djackson.version=${JACKSON_VERSION} -Divica.lib=/build/lib package

FROM ivica-flink:${FLINK_VERSION}

ARG FLINK_VERSION

# S3 (MinIO) for checkpoints, savepoints and HA metadata: Flink loads file systems from
# plugins/, and the image ships the S3 plugin in opt/. The Hadoop-based one reads the
# credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (set from a Secret).
RUN set -eux; \
    mkdir -p /opt/flink/plugins/s3-fs-hadoop; \
    cp "/opt/flink/opt/flink-s3-fs-hadoop-${FLINK_VERSION}.jar" /opt/flink/plugins/s3-fs-hadoop/; \
    chown -R flink:flink /opt/flink/plugins/s3-fs-hadoop

COPY --from=udf --chown=flink:flink /build/lib/flink/ivica-jobs-udf.jar /opt/flink/lib/

# The job code. /opt/ivica/config/ is left to the ConfigMap mounted by the manifests.
COPY --chown=flink:flink jobs /opt/ivica/jobs
COPY --chown=flink:flink contracts /opt/ivica/contracts
ENV PYTHONPATH=/opt/ivica
