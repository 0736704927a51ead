import { App as AntApp, Button, ConfigProvider, Layout, Menu, Space, Spin, Tag, Typography } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { api, token, unwrap, type Session } from './api/client';
import { useI18n, type MessageKey } from './i18n';
import { DashboardPage } from './pages/Dashboard';
import { DevicesPage } from './pages/Devices';
import { EvidencePage } from './pages/Evidence';
import { LotsPage } from './pages/Lots';
import { ReceiptsPage } from './pages/Receipts';
import { SignIn } from './pages/SignIn';
import { AlarmsPage, WorkOrdersPage } from './pages/Supervision';
import { VerifyLinks } from './pages/VerifyLinks';
import { tone } from './pages/tags';
import { mayCountStock, mayRegisterLots } from './lifecycle';

// The collateral views load with their first visit, not with the console.
const LoansPage = lazy(async () => ({ default: (await import('./pages/Collateral')).LoansPage }));
const MarginCallsPage = lazy(async () => ({ default: (await import('./pages/Collateral')).MarginCallsPage }));
const PricesPage = lazy(async () => ({ default: (await import('./pages/Collateral')).PricesPage }));

type Page = 'dashboard' | 'receipts' | 'lots' | 'devices' | 'alarms' | 'work-orders' | 'evidence' | 'loans' | 'margin-calls' | 'prices';

/**
 * The house colours, with antd's lighter greys for secondary and placeholder text darkened to meet WCAG AA contrast
 * (4.5:1) on white and on antd's grey backgrounds.
 */
const theme = {
  token: {
    colorPrimary: '#1f5fa8',
    colorLink: '#1f5fa8',
    colorLinkHover: '#174a86',
    colorLinkActive: '#123a6a',
    colorTextSecondary: '#4d4d4d',
    colorTextTertiary: '#4d4d4d',
    colorTextDescription: '#4d4d4d',
    colorTextPlaceholder: '#595959',
  },
};

const pages: readonly Page[] = ['dashboard', 'lots', 'devices', 'alarms', 'work-orders', 'evidence', 'loans', 'margin-calls', 'prices'];
/** Loans and their margin calls are the lender's and the borrowers' (the custodian holds the goods, not the loans). */
const readsLoans = (session: Session): boolean => session.org === 'lender' || session.org === 'borrower';
const pageOfPath = (path: string): Page => pages.find((page) => path.startsWith(`/${page}`)) ?? 'receipts';

export function App() {
  const { language, t } = useI18n();
  return (
    <ConfigProvider locale={language === 'zh' ? zhCN : enUS} theme={theme} button={{ autoInsertSpace: false }}>
      <AntApp>
        <title>{t('app.title')}</title>
        <Shell />
      </AntApp>
    </ConfigProvider>
  );
}

function Shell() {
  const { t, language, setLanguage } = useI18n();
  const [session, setSession] = useState<Session | null | undefined>(token.get() === null ? null : undefined);
  const [page, setPage] = useState<Page>(pageOfPath(window.location.pathname));

  const signIn = useCallback(async (value: string): Promise<void> => {
    token.set(value);
    try {
      setSession((await unwrap(api.GET('/v1/session'))).data);
    } catch (error) {
      token.clear();
      throw error;
    }
  }, []);
  const signOut = useCallback(() => {
    token.clear();
    setSession(null);
  }, []);

  useEffect(() => {
    const stored = token.get();
    if (stored !== null) signIn(stored).catch(() => setSession(null));
  }, [signIn]);
  useEffect(() => {
    const onPop = () => setPage(pageOfPath(window.location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const go = (next: Page) => {
    window.history.pushState(null, '', next === 'receipts' ? '/' : `/${next}`);
    setPage(next);
  };
  const languageButton = (
    <Button onClick={() => setLanguage(language === 'zh' ? 'en' : 'zh')} aria-label={`${t('language.label')}: ${t('language.switch')}`} data-testid="language">
      {t('language.switch')}
    </Button>
  );

  if (session === undefined) return <Spin fullscreen />;
  if (session === null) return <SignIn onSignIn={signIn} languageButton={languageButton} />;

  const oracle = session.org === 'custodian' && session.role === 'oracle';
  const items: { key: Page; label: string }[] = oracle
    ? []
    : [
        { key: 'receipts', label: t('nav.receipts') },
        { key: 'dashboard', label: t('nav.dashboard') },
      ];
  if (readsLoans(session)) items.push({ key: 'loans', label: t('nav.loans') }, { key: 'margin-calls', label: t('nav.marginCalls') });
  items.push({ key: 'prices', label: t('nav.prices') });
  if (mayRegisterLots(session) || mayCountStock(session)) items.push({ key: 'lots', label: t('nav.lots') });
  // Devices, their readings and evidence bundles are the custodian's (the API's own rule for those routes); the oracle
  // records prices and sees none of the custodian's books.
  if (session.org === 'custodian' && !oracle) items.push({ key: 'devices', label: t('nav.devices') });
  if (!oracle) items.push({ key: 'alarms', label: t('nav.alarms') }, { key: 'work-orders', label: t('nav.workOrders') });
  if (session.org === 'custodian' && !oracle) items.push({ key: 'evidence', label: t('nav.evidence') });
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', justifyContent: 'space-between', gap: 16, background: '#0f2f57', paddingInline: 24 }}>
        <Typography.Title level={1} style={{ color: '#fff', margin: 0, fontSize: 18, whiteSpace: 'nowrap' }}>
          {t('app.title')}
        </Typography.Title>
        <Space wrap>
          <VerifyLinks />
          <Tag style={tone.blue} data-testid="identity">
            {t(`org.${session.org}` as MessageKey)} · {t(`role.${session.role}` as MessageKey)} · {session.id}
          </Tag>
          {languageButton}
          <Button onClick={signOut} data-testid="sign-out">
            {t('signOut')}
          </Button>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={200} theme="light" breakpoint="md" collapsedWidth={0}>
          <nav aria-label={t('nav.main')}>
            <Menu mode="inline" selectedKeys={[page]} items={items} onClick={({ key }) => go(key as Page)} style={{ height: '100%', borderInlineEnd: 0 }} />
          </nav>
        </Layout.Sider>
      <Layout.Content style={{ padding: 24 }}>
        <main>
          <Suspense fallback={<Spin />}>
            {page === 'lots' && (mayRegisterLots(session) || mayCountStock(session)) ? (
              <LotsPage session={session} />
            ) : page === 'devices' && session.org === 'custodian' ? (
              <DevicesPage />
            ) : page === 'loans' && readsLoans(session) ? (
              <LoansPage session={session} />
            ) : page === 'margin-calls' && readsLoans(session) ? (
              <MarginCallsPage session={session} />
            ) : page === 'prices' || oracle ? (
              <PricesPage session={session} />
            ) : page === 'dashboard' ? (
              <DashboardPage session={session} />
            ) : page === 'alarms' ? (
              <AlarmsPage session={session} />
            ) : page === 'work-orders' ? (
              <WorkOrdersPage session={session} />
            ) : page === 'evidence' && session.org === 'custodian' ? (
              <EvidencePage />
            ) : (
              <ReceiptsPage session={session} />
            )}
          </Suspense>
        </main>
      </Layout.Content>
      </Layout>
    </Layout>
  );
}
