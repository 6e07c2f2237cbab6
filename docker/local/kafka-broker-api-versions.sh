#!/usr/bin/env bash
# What the distribution's script of the same name runs (the compose healthcheck calls it).
exec java -Xmx96m -XX:TieredStopAtLevel=1 -Xshare:auto -Dlog4j.configuration=file:/opt/kafka/config/tools-log4j.properties \
  -cp '/opt/kafka/libs/*' kafka.admin.BrokerApiVersionsCommand "$@"
