# Stand-in for apache/kafka:3.9.1 from the local Debian base: Debian's OpenJDK 17 and the Kafka
# jars from Maven Central (as scripts/services/kafka.sh uses them), configured from KAFKA_* like
# the official image (KAFKA_PROCESS_ROLES → process.roles; CLUSTER_ID formats the log dirs).
ARG BASE_IMAGE=loopgate-local/debian:bookworm
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 1000 appuser && useradd --uid 1000 --gid appuser --no-create-home appuser \
  && mkdir -p /var/lib/kafka/data /opt/kafka/config && chown -R appuser:appuser /var/lib/kafka /opt/kafka/config
COPY libs/ /opt/kafka/libs/
COPY kafka-entrypoint.sh /opt/kafka/bin/kafka-entrypoint.sh
COPY kafka-broker-api-versions.sh /opt/kafka/bin/kafka-broker-api-versions.sh
ENV KAFKA_HEAP_OPTS="-Xms256m -Xmx384m"
USER appuser
EXPOSE 9092 9093
ENTRYPOINT ["bash", "/opt/kafka/bin/kafka-entrypoint.sh"]
