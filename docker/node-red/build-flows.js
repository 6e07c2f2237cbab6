// Turns the versioned flow files (flows/*.flow.json) into one Node-RED flows.json for the
// standalone runtime: the gateway and the OPC UA server are other containers, not 127.0.0.1.
// Usage: node docker/node-red/build-flows.js <flows dir> <output file>
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { toNodeRedFlows } = require('../../server/dist/red/flow-file');

const [dir, out] = process.argv.slice(2);
if (!dir || !out) {
  console.error('usage: node build-flows.js <flows dir> <output file>');
  process.exit(2);
}
const files = fs
  .readdirSync(dir)
  .filter((name) => name.endsWith('.flow.json'))
  .sort()
  .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
const OPCUA_HOST = '($env("LOOPGATE_OPCUA_HOST") ? $env("LOOPGATE_OPCUA_HOST") : "127.0.0.1")';

/** Every string in the flows, rewritten where it names 127.0.0.1. */
function relocate(value) {
  if (Array.isArray(value)) return value.map(relocate);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, relocate(v)]));
  if (typeof value !== 'string') return value;
  return (
    value
      // The embedded runtime reaches the gateway on its own port; here it is the load balancer.
      .replaceAll('http://127.0.0.1:${LOOPGATE_PORT}', '${LOOPGATE_GATEWAY_URL}')
      // The OPC UA endpoint is a JSONata tab variable: the host comes from LOOPGATE_OPCUA_HOST.
      .replaceAll('"opc.tcp://127.0.0.1:"', `"opc.tcp://" & ${OPCUA_HOST} & ":"`)
  );
}

const text = JSON.stringify(relocate(toNodeRedFlows(files)), null, 2);
fs.writeFileSync(out, `${text}\n`);
console.log(`${files.length} flow files → ${out}`);
