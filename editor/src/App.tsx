import { useEffect, useSyncExternalStore } from 'react';
import { getSession, subscribeSession } from './api/session';
import { AppShell } from './components/AppShell';
import { LiveProvider } from './live';
import { AuditPage } from './pages/audit/AuditPage';
import { AutonomyPage } from './pages/autonomy/AutonomyPage';
import { FlowsPage } from './pages/flows/FlowsPage';
import { OutcomesPage } from './pages/outcomes/OutcomesPage';
import { RulesPage } from './pages/rules/RulesPage';
import { SignInPage } from './pages/signin/SignInPage';
import { TargetsPage } from './pages/targets/TargetsPage';
import { navigate, useLocation } from './router';

const TITLES: Record<string, string> = {
  outcomes: 'Outcomes',
  rules: 'Rules',
  audit: 'Audit',
  targets: 'Targets',
  autonomy: 'Autonomy',
  flows: 'Flows',
};

export function App() {
  const session = useSyncExternalStore(subscribeSession, getSession);
  const { pathname } = useLocation();
  const section = pathname.split('/')[1] ?? '';

  useEffect(() => {
    if (session && (section === '' || section === 'signin' || !TITLES[section]))
      navigate('/outcomes', { replace: true });
  }, [session, section]);
  useEffect(() => {
    document.title = session ? `${TITLES[section] ?? 'Console'} · Loopgate` : 'Sign in · Loopgate';
  }, [session, section]);

  if (!session) return <SignInPage />;
  return (
    <LiveProvider key={session.user.username}>
      <AppShell>
        {section === 'rules' && <RulesPage ruleSetId={decodeURIComponent(pathname.split('/')[2] ?? '') || undefined} />}
        {section === 'audit' && <AuditPage />}
        {section === 'targets' && <TargetsPage />}
        {section === 'autonomy' && <AutonomyPage />}
        {section === 'flows' && <FlowsPage />}
        {(section === 'outcomes' || !TITLES[section]) && <OutcomesPage />}
      </AppShell>
    </LiveProvider>
  );
}
