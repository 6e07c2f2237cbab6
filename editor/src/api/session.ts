import { hasPermission, type LoginResponse, type Permission, type SessionUser } from '@loopgate/contracts';

/** The signed-in session, kept for the browser tab (sessionStorage) so a reload stays signed in. */
export interface Session {
  token: string;
  expiresAt: string;
  user: SessionUser;
}

const KEY = 'loopgate.session';
const listeners = new Set<() => void>();
let current: Session | null = read();

function read(): Session | null {
  try {
    const raw = window.sessionStorage.getItem(KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    return Date.parse(session.expiresAt) > Date.now() ? session : null;
  } catch (error) {
    console.warn('stored session unreadable, signing out', error);
    return null;
  }
}

export function getSession(): Session | null {
  return current;
}

export function setSession(login: LoginResponse | null): void {
  current = login ? { token: login.token, expiresAt: login.expiresAt, user: login.user } : null;
  if (current) window.sessionStorage.setItem(KEY, JSON.stringify(current));
  else window.sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function subscribeSession(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** What the console offers a user: the gateway's own role → permission table, enforced there on every route. */
const ACTION_PERMISSIONS = {
  control: 'target:control',
  revert: 'writeback:revert',
  approve: 'writeback:approve',
  approveQuality: 'writeback:approve-quality',
  editRules: 'rules:edit',
  approveRules: 'rules:approve',
  admin: 'users:admin',
} as const satisfies Record<string, Permission>;

export function can(user: SessionUser | undefined, what: keyof typeof ACTION_PERMISSIONS): boolean {
  return !!user && hasPermission({ kind: 'user', roles: user.roles }, ACTION_PERMISSIONS[what]);
}
