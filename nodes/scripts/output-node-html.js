// An output node's editor registration and help, rendered from its target's description
// (TARGET_CATALOGUE, generated from server/src/targets/<kind>/description.ts) into
// src/lib/writeback/help/output-node.html. The build writes it where the node's html says
// `<!-- loopgate:output-node <kind> -->`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { TARGET_CATALOGUE } = require('@loopgate/contracts');

const TEMPLATE = path.resolve(__dirname, '..', 'src', 'lib', 'writeback', 'help', 'output-node.html');

const escapeHtml = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Help text from a description: HTML-escaped, `code` in backticks. */
const helpText = (text) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

/** The html of node `type`, the output node of target `kind`; throws when they do not belong together. */
function outputNodeHtml(kind, type) {
  const target = TARGET_CATALOGUE[kind];
  if (!target || target.nodeType !== type)
    throw new Error(`${type}: no target description of kind ${kind} has this node type`);
  const fields = {
    nodeType: target.nodeType,
    paletteLabel: target.paletteLabel,
    exampleInstance: target.exampleInstance,
    defaultAction: target.actions[0].action,
    system: escapeHtml(target.system),
    actions: target.actions.map((a) => `    <li><b>${escapeHtml(a.label)}</b>: ${helpText(a.help)}</li>`).join('\n'),
    notes: helpText(target.notes),
  };
  return fs.readFileSync(TEMPLATE, 'utf8').replace(/\{\{(\w+)\}\}/g, (_m, name) => fields[name]);
}

module.exports = { outputNodeHtml };
