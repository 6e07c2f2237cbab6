import * as path from 'node:path';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { collectApiSchemas, renderApiSchemas } from './route-types';

const ROOT = path.resolve(__dirname, '../../..');
const SCHEMAS_FILE = 'server/src/openapi/api-schemas.generated.ts';

async function formatted(file: string, source: string): Promise<string> {
  return prettier.format(source, { ...(await prettier.resolveConfig(file)), filepath: file });
}

describe('the OpenAPI document', () => {
  // `npm run generate:api` runs this with -u to write the files; otherwise it only compares.
  it(`${SCHEMAS_FILE} is what the controllers declare they answer`, async () => {
    const file = path.join(ROOT, SCHEMAS_FILE);
    await expect(await formatted(file, renderApiSchemas(collectApiSchemas()))).toMatchFileSnapshot(file);
  }, 60_000);
});
