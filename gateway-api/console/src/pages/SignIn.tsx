import { Button, Card, Form, Input, List, Space, Typography } from 'antd';
import { useEffect, useState, type ReactNode } from 'react';
import { api, type DevIdentity } from '../api/client';
import { useI18n, type MessageKey } from '../i18n';
import { ProblemAlert } from './Problem';
import { VerifyLinks } from './VerifyLinks';

/** Sign-in with a bearer token; on embedded dev defaults, one click per demo identity. */
export function SignIn({ onSignIn, languageButton }: { readonly onSignIn: (token: string) => Promise<void>; readonly languageButton: ReactNode }) {
  const { t } = useI18n();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [demo, setDemo] = useState<readonly DevIdentity[]>([]);

  useEffect(() => {
    // 404 DEV_IDENTITIES_OFF outside embedded dev defaults: then there is simply no list.
    api.GET('/v1/dev-identities').then(
      ({ data }) => setDemo(data?.data ?? []),
      () => setDemo([]),
    );
  }, []);

  const submit = async (value: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await onSignIn(value.trim());
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main style={{ maxWidth: 720, margin: '48px auto', padding: 16 }}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        <Space style={{ width: '100%', justifyContent: 'space-between' }}>
          <div>
            <Typography.Title level={1} style={{ marginBottom: 0 }}>
              {t('app.title')}
            </Typography.Title>
            <Typography.Text type="secondary">{t('app.subtitle')}</Typography.Text>
          </div>
          <Space>
            <VerifyLinks dark={false} />
            {languageButton}
          </Space>
        </Space>
        <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{t('signIn.title')}</h2>}>
          <Form layout="vertical" onFinish={(values: { token: string }) => void submit(values.token)} requiredMark={false}>
            <Form.Item name="token" label={t('signIn.token')} extra={t('signIn.tokenHelp')} rules={[{ required: true, message: t('form.required') }]}>
              <Input.Password autoComplete="off" data-testid="token" />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={busy} data-testid="sign-in">
              {t('signIn.submit')}
            </Button>
          </Form>
          {error !== undefined && (
            <div style={{ marginTop: 16 }}>
              <ProblemAlert error={error} title={t('signIn.failed')} />
            </div>
          )}
        </Card>
        {demo.length > 0 && (
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{t('signIn.demo')}</h2>}>
            <Typography.Paragraph type="secondary">{t('signIn.demoHelp')}</Typography.Paragraph>
            <List
              dataSource={[...demo]}
              renderItem={(identity) => (
                <List.Item
                  actions={[
                    <Button key="use" onClick={() => void submit(identity.token)} data-testid={`demo-${identity.id}`} aria-label={t('signIn.as', { id: identity.id })}>
                      {t('signIn.submit')}
                    </Button>,
                  ]}
                >
                  <List.Item.Meta title={identity.id} description={`${t(`org.${identity.org}` as MessageKey)} · ${t(`role.${identity.role}` as MessageKey)}`} />
                </List.Item>
              )}
            />
          </Card>
        )}
      </Space>
    </main>
  );
}
