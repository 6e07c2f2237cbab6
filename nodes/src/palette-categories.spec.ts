import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const NODES = path.join(__dirname);
const RESOURCES = path.join(__dirname, '..', 'resources');
const read = (file: string) => fs.readFileSync(file, 'utf8');
const categoriesIn = (text: string) => [...text.matchAll(/category: '([^']+)'/gu)].map((m) => m[1]);

describe('palette categories', () => {
  it.each([
    ['ai-score/ai-score.html', 'Loopgate inputs'],
    ['loopgate-kafka-in/loopgate-kafka-in.html', 'Loopgate inputs'],
    ['loopgate-rule/loopgate-rule.html', 'Loopgate decisions'],
    ['writeback-outcome/writeback-outcome.html', 'Loopgate outcomes'],
    ['loopgate-kpi/loopgate-kpi.html', 'Loopgate outcomes'],
  ])('puts %s under %s', (file, category) => {
    expect(categoriesIn(read(path.join(NODES, file)))).toEqual([category]);
  });

  it('puts the ISA-95 object nodes and the write-back outputs in their own categories', () => {
    expect(categoriesIn(read(path.join(RESOURCES, 'loopgate-isa95-editor.js')))).toEqual(['Loopgate ISA-95']);
    expect(categoriesIn(read(path.join(RESOURCES, 'loopgate-editor.js')))).toEqual(['Loopgate write-back']);
  });

  it('leaves no node in the old flat "Loopgate" category', () => {
    const html = fs
      .readdirSync(NODES, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) =>
        fs
          .readdirSync(path.join(NODES, d.name))
          .filter((f) => f.endsWith('.html'))
          .map((f) => path.join(NODES, d.name, f)),
      );
    for (const file of html) expect(categoriesIn(read(file))).not.toContain('Loopgate');
  });

  it('preselects the only gateway in a new node’s dialog', () => {
    const editor = read(path.join(RESOURCES, 'loopgate-editor.js'));
    expect(editor).toMatch(/function preselectGateway[\s\S]*gateways\.length === 1[\s\S]*#node-input-gateway/u);
    expect(editor).toMatch(/preselectGateway: preselectGateway/u);
    for (const file of [
      'loopgate-rule/loopgate-rule.html',
      'writeback-outcome/writeback-outcome.html',
      'loopgate-kpi/loopgate-kpi.html',
    ]) {
      const html = read(path.join(NODES, file));
      expect(html).toContain('<script src="resources/node-red-contrib-loopgate/loopgate-editor.js"></script>');
      expect(html).toContain('LoopgateEditor.preselectGateway(node);');
    }
  });
});
