#!/usr/bin/env bash
# Starts the demo's plant on this container's loopback: every target simulator in one process
# (server/src/demo/plant-main.ts, ports in its COMPOSE_DEMO_PORTS), with Opcenter's cell recipe
# linked to the OPC UA CNC cell as in the embedded demo, so a FeedRate write changes the spindle
# load the gateway measures. simulators-proxy, in the same network namespace, makes them reachable
# from the other containers. The container restarts if the plant stops.
set -euo pipefail
cd /app
# A new tool wears out in minutes rather than hours, so the demo shows a compensation within a minute.
export LOOPGATE_CNC_WEAR_PER_SECOND="${LOOPGATE_CNC_WEAR_PER_SECOND:-0.04}"
exec node server/dist/demo/plant-main.js
