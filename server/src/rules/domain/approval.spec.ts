import { describe, expect, it } from 'vitest';
import { approvalRefusal, rejectionRefusal, type VersionUnderReview } from './approval';

const pending: VersionUnderReview = {
  version: 4,
  status: 'pending-approval',
  author: 'erin',
  environment: 'production',
};
const edgar = { kind: 'user' as const, id: 'edgar' };

describe('approvalRefusal', () => {
  it('lets a second person approve a pending version', () => {
    expect(approvalRefusal(pending, edgar, 3)).toBeUndefined();
  });

  it('refuses the author', () => {
    expect(approvalRefusal(pending, { kind: 'user', id: 'erin' })).toMatchObject({ code: 'SAME_AUTHOR', status: 403 });
  });

  it('refuses a service token, which cannot sign', () => {
    expect(approvalRefusal(pending, { kind: 'service', id: 'token:line1' })).toMatchObject({
      code: 'SIGNATURE_REQUIRED',
      status: 403,
    });
  });

  it('refuses a version that is not pending', () => {
    expect(approvalRefusal({ ...pending, status: 'published' }, edgar)).toMatchObject({
      code: 'NOT_PENDING',
      status: 409,
    });
  });

  it('refuses a version older than the live one', () => {
    expect(approvalRefusal(pending, edgar, 5)).toMatchObject({ code: 'SUPERSEDED', status: 409 });
  });
});

describe('rejectionRefusal', () => {
  it('lets the author withdraw their own version', () => {
    expect(rejectionRefusal(pending, { kind: 'user', id: 'erin' })).toBeUndefined();
  });

  it('refuses a decided version', () => {
    expect(rejectionRefusal({ ...pending, status: 'rejected' }, edgar)).toMatchObject({ code: 'NOT_PENDING' });
  });
});
