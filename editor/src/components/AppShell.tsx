import type { RuleSetSummary } from '@loopgate/contracts';
import { useState, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { gateway } from '../api/endpoints';
import { useResource } from '../api/hooks';
import { can, getSession, setSession } from '../api/session';
import { useLive } from '../live';
import { followLink, navigate, useLocation } from '../router';
import { Modal } from './Modal';
import { Time } from './Notice';

const loadRuleSets = () => gateway.ruleSets();

/** Versions proposed by someone else and waiting for a second person: what `username` may review. */
export function awaitingReview(
  ruleSets: readonly RuleSetSummary[],
  username: string | undefined,
): { ruleSetId: string; name: string; version: number; author: string; createdAt: string; comment?: string }[] {
  return ruleSets.flatMap((r) =>
    (r.awaiting ?? []).filter((a) => a.author !== username).map((a) => ({ ruleSetId: r.id, name: r.name, ...a })),
  );
}

const NAV = [
  { href: '/outcomes', label: 'Outcomes' },
  { href: '/rules', label: 'Rules' },
  { href: '/flows', label: 'Flows' },
  { href: '/audit', label: 'Audit' },
  { href: '/targets', label: 'Targets' },
  { href: '/autonomy', label: 'Autonomy' },
];

/** The frame of every signed-in page: navigation, who is signed in, and the global stop, always in reach. */
export function AppShell({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  const live = useLive();
  const user = getSession()?.user;
  // Nothing this person may change: say so once, instead of offering controls that would be refused.
  const readOnly =
    !!user &&
    !(['control', 'revert', 'approve', 'editRules', 'approveRules', 'admin'] as const).some((a) => can(user, a));
  const stopped = live.controlState?.stopped ?? false;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [confirmResume, setConfirmResume] = useState(false);
  const pending = live.outcomes.filter((o) => o.state === 'pending-approval').length;
  // Rule set versions another engineer proposed, waiting for this person's signature.
  const reviewer = can(user, 'approveRules');
  const ruleSets = useResource(loadRuleSets, { refreshMs: 10_000, enabled: reviewer });
  const toReview = reviewer ? awaitingReview(ruleSets.data ?? [], user?.username).length : 0;

  const stop = async () => {
    setBusy(true);
    setError(undefined);
    try {
      live.setControlState(await gateway.stopAll());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const resume = async () => {
    setBusy(true);
    setError(undefined);
    try {
      live.setControlState(await gateway.resumeAll());
      setConfirmResume(false);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const signOut = async () => {
    // The pages (and their periodic reads) go first, so nothing asks with the token once it is revoked.
    const token = getSession()?.token;
    setSession(null);
    navigate('/signin', { replace: true });
    await gateway.logout(token).catch((e: unknown) => console.warn('sign-out call failed', errorText(e)));
  };

  return (
    <div className={stopped ? 'shell shell-stopped' : 'shell'}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      {pathname.startsWith('/outcomes') && (
        // The inbox sits after the long outcome list: one key press away, not hundreds of tabs.
        <a className="skip-link" href="#approvals">
          Skip to approvals
        </a>
      )}
      <header className="topbar">
        <div className="brand" aria-label="Loopgate console">
          <span className="brand-mark" aria-hidden="true" />
          Loopgate
        </div>
        <nav aria-label="Main">
          <ul className="nav">
            {NAV.map((item) => {
              const current = pathname === item.href || pathname.startsWith(item.href + '/');
              return (
                <li key={item.href}>
                  <a
                    href={item.href}
                    onClick={followLink}
                    aria-current={current ? 'page' : undefined}
                    className={current ? 'nav-link active' : 'nav-link'}
                  >
                    {item.label}
                    {item.href === '/outcomes' && pending > 0 && (
                      <span className="count" aria-label={`${pending} pending approval`}>
                        {pending}
                      </span>
                    )}
                    {item.href === '/rules' && toReview > 0 && (
                      <span
                        className="count count-pending"
                        aria-label={`${toReview} rule set ${toReview === 1 ? 'version waits' : 'versions wait'} for your review`}
                      >
                        {toReview}
                      </span>
                    )}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="topbar-right">
          <span
            className={`stream-dot stream-${live.status}`}
            role="status"
            aria-label={`Live stream ${live.status}`}
            title={`Live stream ${live.status}`}
          />
          <span className="user" title={user?.roles.join(', ')}>
            {user?.displayName ?? user?.username}
            <span className="muted"> · {user?.roles.join(', ')}</span>
          </span>
          <button type="button" className="button button-ghost" onClick={signOut}>
            Sign out
          </button>
          {can(user, 'control') &&
            (stopped ? (
              <button
                type="button"
                className="button button-resume"
                onClick={() => setConfirmResume(true)}
                disabled={busy}
              >
                Resume dispatch…
              </button>
            ) : (
              <button
                type="button"
                className="button stop-all"
                onClick={stop}
                disabled={busy}
                aria-describedby="stop-all-help"
              >
                <span aria-hidden="true">■</span> STOP ALL
              </button>
            ))}
          <span id="stop-all-help" hidden>
            Stops every write-back to every target at once. Queued changes wait in order until dispatch is resumed.
          </span>
        </div>
      </header>
      {stopped && (
        <div className="stop-banner" role="alert">
          <strong>ALL DISPATCH STOPPED</strong>
          <span>
            {live.controlState?.stoppedBy && <>by {live.controlState.stoppedBy} </>}
            {live.controlState?.stoppedAt && (
              <>
                since <Time iso={live.controlState.stoppedAt} />
              </>
            )}
            . No write-back reaches any MES; queued changes wait in order.
          </span>
        </div>
      )}
      {readOnly && (
        <div className="readonly-banner" role="status" data-testid="read-only-banner">
          <strong>Read-only</strong> — you are signed in as a viewer: you can look at everything and change nothing.
        </div>
      )}
      {error && (
        <div className="notice notice-error" role="alert">
          {error}
        </div>
      )}
      <main id="main" tabIndex={-1}>
        {children}
      </main>
      <Modal
        open={confirmResume}
        title="Resume dispatch to all targets?"
        onClose={() => setConfirmResume(false)}
        role="alertdialog"
      >
        <p>Queued write-backs will be applied in order, oldest first. Expired ones are dropped, never applied late.</p>
        <div className="form-actions">
          <button type="button" className="button" onClick={() => setConfirmResume(false)}>
            Keep stopped
          </button>
          <button type="button" className="button button-primary" onClick={resume} disabled={busy}>
            Resume dispatch
          </button>
        </div>
      </Modal>
    </div>
  );
}
