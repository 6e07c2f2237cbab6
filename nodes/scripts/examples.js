// The palette's example flows are the node arrays of the versioned flow files in ../flows/: that
// folder is the one source, and Import → Examples gets a generated copy at build and pack time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const FLOWS_DIR = path.resolve(__dirname, '..', '..', 'flows');

/** `{ "<id>.json": nodes[] }` for every `flows/<id>.flow.json`. */
function exampleFiles(flowsDir = FLOWS_DIR) {
  const files = {};
  for (const name of fs.readdirSync(flowsDir).sort()) {
    if (!name.endsWith('.flow.json')) continue;
    const flow = JSON.parse(fs.readFileSync(path.join(flowsDir, name), 'utf8'));
    if (!Array.isArray(flow.nodes)) throw new Error(`${name}: a flow file needs a nodes array`);
    files[`${name.slice(0, -'.flow.json'.length)}.json`] = flow.nodes;
  }
  return files;
}

/** Replaces `outDir` with the generated examples; returns their file names. */
function writeExamples(outDir, flowsDir = FLOWS_DIR) {
  const files = exampleFiles(flowsDir);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, nodes] of Object.entries(files))
    fs.writeFileSync(path.join(outDir, name), `${JSON.stringify(nodes, null, 2)}\n`);
  return Object.keys(files);
}

module.exports = { exampleFiles, writeExamples, FLOWS_DIR };
