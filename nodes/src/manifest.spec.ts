import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE_TYPES } from './index';
import { TARGET_CATALOGUE } from '@loopgate/contracts';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { exampleFiles } = require('../scripts/examples.js') as {
  exampleFiles(): Record<string, { type: string }[]>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { outputNodeHtml } = require('../scripts/output-node-html.js') as {
  outputNodeHtml(kind: string, type: string): string;
};

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};

describe('palette manifest', () => {
  it('lists every node type in package.json, each with its runtime, editor html and icon', () => {
    expect(Object.keys(pkg['node-red'].nodes)).toEqual([...NODE_TYPES]);
    for (const type of NODE_TYPES) {
      expect(pkg['node-red'].nodes[type]).toBe(`dist/${type}/${type}.js`);
      for (const file of [`${type}.ts`, `${type}.html`, `${type}.spec.ts`, `icons/${type}.svg`]) {
        expect(fs.existsSync(path.join(root, 'src', type, file)), `${type}/${file}`).toBe(true);
      }
    }
  });

  it('registers each editor type with the name of its folder and help text', () => {
    for (const type of NODE_TYPES) {
      const source = fs.readFileSync(path.join(root, 'src', type, `${type}.html`), 'utf8');
      const kind = /^<!-- loopgate:output-node ([a-z0-9-]+) -->$/m.exec(source)?.[1];
      const html = kind ? outputNodeHtml(kind, type) : source;
      expect(html).toContain(`data-help-name="${type}"`);
      const registers = ['registerType', 'writeBackOutput', 'objectNode'].some((fn) =>
        html.includes(`${fn}('${type}'`),
      );
      expect(registers, type).toBe(true);
    }
  });

  it('has one output node per target kind, its editor and help rendered from the description', () => {
    for (const target of Object.values(TARGET_CATALOGUE)) {
      expect(NODE_TYPES).toContain(target.nodeType);
      const source = fs.readFileSync(path.join(root, 'src', target.nodeType, `${target.nodeType}.html`), 'utf8');
      expect(source.trim()).toBe(`<!-- loopgate:output-node ${target.kind} -->`);
      const html = outputNodeHtml(target.kind, target.nodeType);
      expect(html).not.toMatch(/\{\{\w+\}\}/);
      expect(html).toContain(`paletteLabel: '${target.paletteLabel}'`);
      for (const action of target.actions) expect(html).toContain(`<li><b>${action.label}</b>: `);
      for (const field of target.actions.flatMap((a) => a.details))
        expect(html, field.name).toContain(`<code>${field.name}</code>`);
    }
    expect(() => outputNodeHtml('opcenter', 'cmms-out')).toThrow(/no target description/);
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
