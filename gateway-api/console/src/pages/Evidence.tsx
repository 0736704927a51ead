import { Button, Card, Descriptions, Form, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useI18n } from '../i18n';
import { HANDOFF_KEY } from './handoff';
import { ProblemAlert } from './Problem';

type Evidence = components['schemas']['Evidence'];


/**
 * Evidence → bundle → verification: look a piece of evidence up by id, download its bundle (the file a court is
 * given), or open the verification page on it, which checks it in the browser.
 */
export function EvidencePage() {
  const { t, dateTime } = useI18n();
  const [evidence, setEvidence] = useState<Evidence | undefined>();
  const [bundle, setBundle] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();

  const find = async ({ id }: { id: string }) => {
    setError(undefined);
    setEvidence(undefined);
    setBundle(undefined);
    try {
      setEvidence((await unwrap(api.GET('/v1/evidence/{id}', { params: { path: { id: id.trim() } } }))).data);
      setBundle(JSON.stringify((await unwrap(api.GET('/v1/evidence/{id}/bundle', { params: { path: { id: id.trim() } } }))).data, null, 2));
    } catch (failure) {
      setError(failure);
    }
  };
  const download = () => {
    if (bundle === undefined || evidence === undefined) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([bundle], { type: 'application/json' }));
    link.download = `${evidence.id}.bundle.json`;
    link.click();
    URL.revokeObjectURL(link.href);
  };
  const verify = () => {
    if (bundle === undefined) return;
    localStorage.setItem(HANDOFF_KEY, bundle);
    window.open('/verify', '_blank', 'noopener');
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('evidence.title')}
      </Typography.Title>
      <Card>
        <Form layout="inline" onFinish={(values: { id: string }) => void find(values)}>
          <Form.Item name="id" label={t('evidence.id')} rules={[{ required: true, whitespace: true, message: t('form.required') }]}>
            <Input style={{ width: 360 }} data-testid="evidence-id" />
          </Form.Item>
          <Button type="primary" htmlType="submit" data-testid="evidence-find">
            {t('evidence.find')}
          </Button>
        </Form>
      </Card>
      {error !== undefined && <ProblemAlert error={error} />}
      {evidence !== undefined && (
        <Card data-testid="evidence">
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('evidence.id')}>{evidence.id}</Descriptions.Item>
            <Descriptions.Item label={t('evidence.kind')}>{evidence.kind}</Descriptions.Item>
            <Descriptions.Item label={t('alarms.device')}>{evidence.deviceId ?? t('field.none')}</Descriptions.Item>
            <Descriptions.Item label={t('evidence.leaf')}>
              #{evidence.leafIndex} <code>{evidence.leafHash}</code>
            </Descriptions.Item>
            <Descriptions.Item label={t('evidence.checkpoint')}>{evidence.checkpointSeq ?? t('evidence.notYet')}</Descriptions.Item>
            <Descriptions.Item label={t('evidence.received')}>{dateTime(evidence.receivedAt)}</Descriptions.Item>
          </Descriptions>
          <Space style={{ marginTop: 16 }}>
            <Button onClick={download} disabled={bundle === undefined} data-testid="bundle-download">
              {t('evidence.download')}
            </Button>
            <Button type="primary" onClick={verify} disabled={bundle === undefined} data-testid="bundle-verify">
              {t('evidence.verify')}
            </Button>
          </Space>
        </Card>
      )}
    </Space>
  );
}
