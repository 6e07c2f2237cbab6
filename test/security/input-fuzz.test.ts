import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway';
import { allRoutes, concretePath, type RouteInfo } from './routes';

/** Every stable error code the server declares: upper-snake string literals in its source. */
function declaredCodes(): Set<string> {
  const codes = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
        for (const match of fs.readFileSync(full, 'utf8').matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'/g))
          codes.add(match[1]);
      }
    }
  };
  walk(path.resolve(__dirname, '../../server/src'));
  return codes;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Inputs that are wrong whatever the route: each must be refused with a 4xx before anything is stored. */
type Malformed =
  | { kind: 'unknown-field'; body: Record<string, unknown> }
  | { kind: 'forbidden-key'; text: string }
  | { kind: 'not-json'; text: string }
  | { kind: 'wrong-media-type'; text: string }
  | { kind: 'array-body'; body: unknown[] }
  | { kind: 'unknown-query'; key: string; value: string }
  | { kind: 'deep'; text: string }
  | { kind: 'too-large'; text: string };

const fieldName = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,12}$/);

const MALFORMATIONS: Record<Malformed['kind'], fc.Arbitrary<Malformed>> = {
  'unknown-field': fc
    .tuple(
      fc.dictionary(fieldName, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
      fc.stringMatching(/^[a-z0-9]{1,8}$/),
    )
    .map(([extra, suffix]) => ({ kind: 'unknown-field' as const, body: { ...extra, [`zzFuzz_${suffix}`]: 1 } })),
  'forbidden-key': fc
    .tuple(
      fc.constantFrom('__proto__', 'constructor', 'prototype'),
      fc.integer({ min: 0, max: 3 }),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map(([key, depth, value]) => {
      let text = `{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'}}`;
      for (let i = 0; i < depth; i++) text = `{"a":${text}}`;
      return { kind: 'forbidden-key' as const, text };
    }),
  'not-json': fc
    .oneof(
      fc.constant('{'),
      fc.constant('{"a":}'),
      fc.string({ minLength: 1, maxLength: 40 }).map((s) => `{${s}`),
    )
    // `{` followed by `}` (or `"a":1}`) is JSON after all: only text that does not parse is malformed.
    .filter((text) => !parses(text))
    .map((text) => ({ kind: 'not-json' as const, text })),
  'wrong-media-type': fc
    .string({ minLength: 1, maxLength: 40 })
    .map((text) => ({ kind: 'wrong-media-type' as const, text })),
  'array-body': fc
    .array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 })
    .map((body) => ({ kind: 'array-body' as const, body })),
  'unknown-query': fc
    .tuple(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.string({ maxLength: 20 }))
    .map(([key, value]) => ({ kind: 'unknown-query' as const, key: `zzFuzz_${key}`, value })),
  deep: fc
    .integer({ min: 40, max: 400 })
    .map((depth) => ({ kind: 'deep' as const, text: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` })),
  'too-large': fc.constant({ kind: 'too-large' as const, text: JSON.stringify({ blob: 'x'.repeat(300 * 1024) }) }),
};

/** Each kind equally often, then a value of that kind. */
const malformed: fc.Arbitrary<Malformed> = fc
  .constantFrom(...(Object.keys(MALFORMATIONS) as Malformed['kind'][]))
  .chain((kind) => MALFORMATIONS[kind]);

/**
 * Property: malformed input sent to every route of the real gateway (as an admin, so the guard
 * lets it through to validation) never gets a 5xx, always gets a stable code the server declares,
 * and stores nothing.
 */
describe('malformed input to every route', () => {
  let gw: TestGateway;
  let routes: RouteInfo[];
  let known: Set<string>;
  let admin: string;

  beforeAll(async () => {
    gw = await startTestGateway();
    ({ routes } = allRoutes(gw));
    known = declaredCodes();
    admin = await gw.admin();
  });
  afterAll(async () => gw?.close());

  async function send(
    route: RouteInfo,
    input: Malformed,
    pathValue: string,
  ): Promise<{ status: number; code?: string }> {
    const url = concretePath(route.path, () => pathValue);
    let response: Response;
    switch (input.kind) {
      case 'unknown-field':
      case 'array-body':
        response = await gw.request(route.method, url, { token: admin, body: input.body });
        break;
      case 'wrong-media-type':
        response = await gw.request(route.method, url, { token: admin, text: input.text, contentType: 'text/plain' });
        break;
      case 'unknown-query':
        response = await gw.request(route.method, `${url}?${new URLSearchParams({ [input.key]: input.value })}`, {
          token: admin,
        });
        break;
      default:
        response = await gw.request(route.method, url, { token: admin, text: input.text });
    }
    const body = (await response.json().catch(() => ({}))) as { code?: string };
    return { status: response.status, code: body.code };
  }

  it('refuses it with a 4xx and a declared code, storing nothing', async () => {
    // The request allowance counts every caller, refused input included: its counters are not input.
    const stored = async () => {
      const { api_request_limit: _counters, ...rows } = await gw.rowCounts();
      return rows;
    };
    const before = await stored();
    const failures: string[] = [];
    const seen = new Set<string>();
    const pathValue = fc.oneof(
      fc.constant('x1'),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('..', '%00', '../../etc/passwd', '9'.repeat(40), 'ü💥'),
    );
    for (const route of routes) {
      await fc.assert(
        fc.asyncProperty(malformed, pathValue, async (input, value) => {
          // fetch sends no body with GET or HEAD: there only the query can be malformed.
          if (['GET', 'HEAD'].includes(route.method) && input.kind !== 'unknown-query') return true;
          const { status, code } = await send(route, input, value.length ? value : 'x1');
          seen.add(`${input.kind}:${code}`);
          const ok = status >= 400 && status < 500 && code !== undefined && known.has(code);
          if (!ok) failures.push(`${route.method} ${route.path} ${input.kind}: ${status} ${code}`);
          return ok;
        }),
        { numRuns: 40, endOnFailure: true },
      );
    }
    expect(failures).toEqual([]);
    expect(await stored()).toEqual(before);
    // Every kind of malformation reached the server and was refused for its own reason.
    for (const expected of [
      'forbidden-key:FORBIDDEN_KEY',
      'not-json:MALFORMED_JSON',
      'wrong-media-type:UNSUPPORTED_MEDIA_TYPE',
      'deep:TOO_DEEP',
      'too-large:PAYLOAD_TOO_LARGE',
      'unknown-field:VALIDATION_FAILED',
      'unknown-field:UNEXPECTED_BODY',
      'unknown-query:VALIDATION_FAILED',
      'array-body:UNEXPECTED_BODY',
    ]) {
      expect([...seen]).toContain(expected);
    }
  });

  it('answers path parameters of any shape on read routes without a 5xx', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.method === 'GET' && /[:*]/.test(r.path))) {
      await fc.assert(
        fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), async (value) => {
          const response = await gw.request(
            'GET',
            concretePath(route.path, () => value),
            { token: admin },
          );
          const body = (await response.json().catch(() => ({}))) as { code?: string };
          const ok =
            response.status < 500 && (response.status < 400 || (body.code !== undefined && known.has(body.code)));
          if (!ok) failures.push(`${route.path} ${JSON.stringify(value)}: ${response.status} ${body.code}`);
          return ok;
        }),
        { numRuns: 40, endOnFailure: true },
      );
    }
    expect(failures).toEqual([]);
  });
});
