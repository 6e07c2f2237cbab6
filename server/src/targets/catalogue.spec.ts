import * as path from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_FILE, renderCatalogue } from './catalogue';
import { TARGET_DEFINITIONS } from './registry';

const ROOT = path.resolve(__dirname, '../../..');

describe('the generated target catalogue', () => {
  // `npm run generate:targets` runs this with -u to write the file; otherwise it only compares.
  it(`${CATALOGUE_FILE} is what the registered targets describe`, async () => {
    const file = path.join(ROOT, CATALOGUE_FILE);
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    const source = await prettier.format(renderCatalogue(TARGET_DEFINITIONS.map((d) => d.description)), options);
    await expect(source).toMatchFileSnapshot(file);
  });
});
