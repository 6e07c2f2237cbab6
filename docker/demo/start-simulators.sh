#!/usr/bin/env bash
# Starts every target simulator of the demo on this container's loopback (they bind 127.0.0.1);
# simulators-proxy, in the same network namespace, makes them reachable from the other containers.
# Exits (and the container restarts) when any simulator stops.
set -euo pipefail
cd /app
pids=()
for sim in "opcenter 18801" "factorytalk 18802" "aveva 18803" "cmms 18804" "opcua 4840"; do
  read -r kind port <<<"$sim"
  node server/dist/targets/sim-main.js "$kind" --port "$port" &
  pids+=("$!")
done
stop() { kill "${pids[@]}" 2>/dev/null || true; }
trap 'stop; exit 0' TERM INT
wait -n
echo "a simulator stopped; stopping the others" >&2
stop
exit 1
