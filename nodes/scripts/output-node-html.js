// The output nodes' editor registration and help, rendered from their targets' descriptions
// (TARGET_CATALOGUE, generated from server/src/targets/<kind>/description.ts) into
// src/lib/writeback/help/output-node.html, one per target. The build writes them where the
// loopgate-writeback node set's html says `<!-- loopgate:output-nodes -->`; a target without an
// icon of its own (src/loopgate-writeback/icons/<nodeType>.svg) gets the set's generic one.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { TARGET_CATALOGUE } = require('@loopgate/contracts');

const SRC = path.resolve(__dirname, '..', 'src');
const TEMPLATE = path.join(SRC, 'lib', 'writeback', 'help', 'output-node.html');
const ICONS = path.join(SRC, 'loopgate-writeback', 'icons');
const GENERIC_ICON = 'loopgate-writeback.svg';

const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Help text from a description: HTML-escaped, `code` in backticks. */
const helpText = (text) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

/** The html of one target's output node, from its description, in `template`. */
function outputNodeHtml(target, template) {
  const icon = fs.existsSync(path.join(ICONS, `${target.nodeType}.svg`)) ? `${target.nodeType}.svg` : GENERIC_ICON;
  const fields = {
    nodeType: target.nodeType,
    paletteLabel: target.paletteLabel,
    exampleInstance: target.exampleInstance,
    defaultAction: target.actions[0].action,
    icon,
    system: escapeHtml(target.system),
    actions: target.actions.map((a) => `    <li><b>${escapeHtml(a.label)}</b>: ${helpText(a.help)}</li>`).join('\n'),
    notes: helpText(target.notes),
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_m, name) => fields[name]);
}

/** The html of every described target's output node, in the catalogue's order. */
function outputNodesHtml() {
  const template = fs.readFileSync(TEMPLATE, 'utf8');
  return Object.values(TARGET_CATALOGUE)
    .map((target) => outputNodeHtml(target, template))
    .join('\n');
}

module.exports = { outputNodesHtml };
