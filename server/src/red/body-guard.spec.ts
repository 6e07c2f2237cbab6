import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkBodyDepth, jsonDepth, readLimitedBody } from './body-guard';

function request(chunks: string[], headers: Record<string, string> = {}): IncomingMessage {
  const stream = Readable.from(chunks.map((c) => Buffer.from(c))) as unknown as IncomingMessage;
  stream.headers = headers;
  return stream;
}

describe('jsonDepth', () => {
  it('counts nested objects and arrays', () => {
    expect(jsonDepth(Buffer.from('{"a":[1,{"b":2}]}'))).toBe(3);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepth(Buffer.from('{"a":"[[[{{\\"]]"}'))).toBe(1);
  });

  it('stops once past the limit', () => {
    expect(jsonDepth(Buffer.from('['.repeat(1000)), 10)).toBe(11);
  });
});

describe('checkBodyDepth', () => {
  it('refuses JSON nested deeper than the limit with BODY_TOO_DEEP', () => {
    expect(() => checkBodyDepth(Buffer.from('[[[[]]]]'), 'application/json', 3)).toThrow(
      expect.objectContaining({ code: 'BODY_TOO_DEEP', status: 400 }),
    );
  });

  it('accepts JSON at the limit', () => {
    expect(() => checkBodyDepth(Buffer.from('[[[]]]'), 'application/json', 3)).not.toThrow();
  });

  it('refuses deeply bracketed form keys', () => {
    expect(() => checkBodyDepth(Buffer.from('a[b][c][d][e]=1'), 'application/x-www-form-urlencoded', 3)).toThrow(
      expect.objectContaining({ code: 'BODY_TOO_DEEP' }),
    );
  });

  it('does not look into text bodies', () => {
    expect(() => checkBodyDepth(Buffer.from('[[[[[['), 'text/plain', 1)).not.toThrow();
  });
});

describe('readLimitedBody', () => {
  it('returns the whole body under the limit', async () => {
    expect((await readLimitedBody(request(['ab', 'cd']), 10)).toString()).toBe('abcd');
  });

  it('refuses with 413 BODY_TOO_LARGE as soon as the streamed bytes pass the limit', async () => {
    await expect(readLimitedBody(request(['12345', '67890', 'x']), 8)).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
      status: 413,
    });
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    await expect(readLimitedBody(request([], { 'content-length': '100' }), 8)).rejects.toMatchObject({
      code: 'BODY_TOO_LARGE',
    });
  });
});
