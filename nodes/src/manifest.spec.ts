import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_SETS, NODE_TYPES } from './index';
import { TARGET_CATALOGUE } from '@loopgate/contracts';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exampleFiles } = require('../scripts/examples.js') as {
  exampleFiles(): Record<string, { type: string }[]>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { outputNodesHtml } = require('../scripts/output-node-html.js') as { outputNodesHtml(): string };

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};

describe('palette manifest', () => {
  it('lists every node set in package.json, each with its runtime, editor html and icon', () => {
    expect(Object.keys(pkg['node-red'].nodes)).toEqual([...NODE_SETS]);
    for (const set of NODE_SETS) {
      expect(pkg['node-red'].nodes[set]).toBe(`dist/${set}/${set}.js`);
      for (const file of [`${set}.ts`, `${set}.html`, `icons/${set}.svg`]) {
        expect(fs.existsSync(path.join(root, 'src', set, file)), `${set}/${file}`).toBe(true);
      }
    }
  });

  it('registers each editor type with the name of its folder and help text', () => {
    for (const set of NODE_SETS.filter((s) => s !== 'loopgate-writeback')) {
      const html = fs.readFileSync(path.join(root, 'src', set, `${set}.html`), 'utf8');
      expect(html).toContain(`data-help-name="${set}"`);
      const registers = ['registerType', 'objectNode'].some((fn) => html.includes(`${fn}('${set}'`));
      expect(registers, set).toBe(true);
      const specs = [`${set}.spec.ts`, `${set}.isolated.spec.ts`];
      expect(
        specs.some((spec) => fs.existsSync(path.join(root, 'src', set, spec))),
        `${set}.spec.ts`,
      ).toBe(true);
    }
  });

  it('has one output node per described target, its editor and help rendered from the description', () => {
    const source = fs.readFileSync(path.join(root, 'src', 'loopgate-writeback', 'loopgate-writeback.html'), 'utf8');
    expect(source).toContain('<!-- loopgate:output-nodes -->');
    const html = outputNodesHtml();
    expect(html).not.toMatch(/\{\{\w+\}\}/);
    for (const target of Object.values(TARGET_CATALOGUE)) {
      expect(NODE_TYPES).toContain(target.nodeType);
      expect(html).toContain(`writeBackOutput('${target.nodeType}', {`);
      expect(html).toContain(`data-help-name="${target.nodeType}"`);
      expect(html).toContain(`paletteLabel: '${target.paletteLabel}'`);
      const own = fs.existsSync(path.join(root, 'src', 'loopgate-writeback', 'icons', `${target.nodeType}.svg`));
      expect(html).toContain(`icon: '${own ? target.nodeType : 'loopgate-writeback'}.svg'`);
      for (const action of target.actions) expect(html).toContain(`<li><b>${action.label}</b>: `);
      for (const field of target.actions.flatMap((a) => a.details))
        expect(html, field.name).toContain(`<code>${field.name}</code>`);
    }
  });

  it('ships an example flow for Import → Examples for each use case', () => {
    const examples = exampleFiles();
    expect(Object.keys(examples).length).toBeGreaterThanOrEqual(4);
    for (const [file, nodes] of Object.entries(examples)) {
      expect(Array.isArray(nodes), file).toBe(true);
      for (const node of nodes)
        if (
          node.type.startsWith('loopgate') ||
          node.type.endsWith('-out') ||
          node.type.startsWith('isa95') ||
          node.type === 'ai-score'
        ) {
          expect([...NODE_TYPES, 'OpcUa-Client'], `${file}: ${node.type}`).toContain(node.type);
        }
    }
  });
});
