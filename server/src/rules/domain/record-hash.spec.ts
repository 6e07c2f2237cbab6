import { describe, expect, it } from 'vitest';
import { versionRecordHash } from './record-hash';

const version = {
  ruleSetId: 'tool-wear',
  version: 3,
  checksum: 'a'.repeat(64),
  author: 'erin',
  createdAt: '2026-11-22T08:00:00.000Z',
  environment: 'production',
};

describe('versionRecordHash', () => {
  it('is a SHA-256 hex digest, stable for the same version', () => {
    expect(versionRecordHash(version)).toMatch(/^[0-9a-f]{64}$/);
    expect(versionRecordHash({ ...version })).toBe(versionRecordHash(version));
  });

  it('changes with the version number, so a signature cannot move to another version', () => {
    expect(versionRecordHash({ ...version, version: 4 })).not.toBe(versionRecordHash(version));
  });

  it('changes with the content checksum', () => {
    expect(versionRecordHash({ ...version, checksum: 'b'.repeat(64) })).not.toBe(versionRecordHash(version));
  });
});
