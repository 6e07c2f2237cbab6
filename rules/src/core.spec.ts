import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Packages the console may bundle from the core: none of them needs Node built-ins in a browser. */
const BROWSER_SAFE_PACKAGES = new Set(['@loopgate/contracts', 'json-rules-engine', 'jsonpath-plus', 'jsonata']);

/** Every module the core reaches, following relative imports; bare specifiers are collected, not followed. */
function importGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = [];
  const packages = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.includes(file)) continue;
    files.push(file);
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\s(?:[^'";]*?\sfrom\s)?'([^']+)'/gmu)) {
      const specifier = match[1];
      if (specifier.startsWith('.')) pending.push(path.resolve(path.dirname(file), `${specifier}.ts`));
      else packages.add(specifier);
    }
  }
  return { files, packages };
}

describe('the browser-safe rules core', () => {
  const graph = importGraph(path.join(__dirname, 'core.ts'));

  it('imports no Node built-in, directly or through its modules', () => {
    expect([...graph.packages].filter((p) => p.startsWith('node:') || !BROWSER_SAFE_PACKAGES.has(p))).toEqual([]);
  });

  it('reaches the file format, the diff and the evaluator (so the console needs no copies)', () => {
    const names = graph.files.map((f) => path.relative(__dirname, f));
    expect(names).toEqual(
      expect.arrayContaining(['file/parse.ts', 'file/validate.ts', 'file/diff.ts', 'evaluator/evaluator.ts']),
    );
  });

  it('leaves the node:crypto checksum out', () => {
    expect(graph.files.map((f) => path.basename(f))).not.toContain('checksum.ts');
  });
});
