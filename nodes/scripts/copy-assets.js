// Copies each node's editor files (html, icons, locales) next to its compiled js, as Node-RED
// expects, checks that every node listed in package.json has both halves, and generates the
// examples (Import → Examples) from the flow files in ../flows/.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { writeExamples } = require('./examples');
const { outputNodesHtml } = require('./output-node-html');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

let copied = 0;
const missing = [];
for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
  const js = path.join(root, file);
  const from = path.join(root, 'src', type);
  const to = path.dirname(js);
  fs.mkdirSync(to, { recursive: true });
  for (const name of [`${type}.html`, 'icons', 'locales']) {
    if (!fs.existsSync(path.join(from, name))) continue;
    fs.cpSync(path.join(from, name), path.join(to, name), { recursive: true });
    copied++;
  }
  for (const needed of [js, path.join(to, `${type}.html`)])
    if (!fs.existsSync(needed)) missing.push(`${type}: ${path.relative(root, needed)}`);
}
if (missing.length > 0) {
  console.error(`node-red-contrib-loopgate: missing after build (run tsc -b first):\n  ${missing.join('\n  ')}`);
  process.exit(1);
}
// The output nodes' editors and help come from their targets' descriptions (TARGET_CATALOGUE,
// generated from server/src/targets/<kind>/description.ts): `<!-- loopgate:output-nodes -->`.
// Help text shared by several nodes is written once and included where a node's help says
// `<!-- loopgate:include <name> -->` (from src/lib/writeback/help/<name>.html).
for (const [type, file] of Object.entries(pkg['node-red'].nodes)) {
  const html = path.join(path.dirname(path.join(root, file)), `${type}.html`);
  const text = fs.readFileSync(html, 'utf8').replace(/^<!-- loopgate:output-nodes -->\n/m, () => outputNodesHtml());
  const included = text.replace(/^[ \t]*<!-- loopgate:include ([a-z-]+) -->\n/gm, (_line, name) =>
    fs.readFileSync(path.join(root, 'src', 'lib', 'writeback', 'help', `${name}.html`), 'utf8'),
  );
  fs.writeFileSync(html, included);
}
const examples = writeExamples(path.join(root, 'examples'));
console.log(
  `node-red-contrib-loopgate: copied ${copied} editor assets for ${Object.keys(pkg['node-red'].nodes).length} node sets, generated ${examples.length} examples`,
);
