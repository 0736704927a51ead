import { App, Button, Card, Col, Form, Input, Row, Space, Typography } from 'antd';
import { useState } from 'react';
import { api, idempotencyKey, unwrap, type Session } from '../api/client';
import { useI18n, type MessageKey } from '../i18n';
import { mayCountStock, mayDraft, mayRegisterLots } from '../lifecycle';
import { fieldRules } from './fields';
import { ProblemAlert } from './Problem';

type Kind = 'text' | 'decimal' | 'identifier';

/** A form whose fields are all strings, submitted once per click with a fresh Idempotency-Key. */
function WriteForm({
  title,
  fields,
  submitLabel,
  testId,
  onSubmit,
}: {
  readonly title: string;
  readonly fields: readonly { name: string; label: MessageKey; kind: Kind; required: boolean }[];
  readonly submitLabel: string;
  readonly testId: string;
  readonly onSubmit: (values: Record<string, string>, key: string) => Promise<string>;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Record<string, string>>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const finish = async (values: Record<string, string>) => {
    setBusy(true);
    setError(undefined);
    try {
      void message.success(await onSubmit(values, idempotencyKey()));
      form.resetFields();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{title}</h2>}>
      <Form form={form} layout="vertical" onFinish={(values) => void finish(values)} data-testid={testId}>
        {fields.map((field) => (
          <Form.Item key={field.name} name={field.name} label={t(field.label)} rules={fieldRules(field, t)}>
            <Input data-testid={`${testId}-${field.name}`} />
          </Form.Item>
        ))}
        <Button type="primary" htmlType="submit" loading={busy} data-testid={`${testId}-submit`}>
          {submitLabel}
        </Button>
      </Form>
      {error !== undefined && (
        <div style={{ marginTop: 16 }}>
          <ProblemAlert error={error} />
        </div>
      )}
    </Card>
  );
}

/** The warehouse's desk: the clerk registers lots taken in and drafts receipts on them; the supervisor counts stock. */
export function LotsPage({ session }: { readonly session: Session }) {
  const { t } = useI18n();
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('lots.title')}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        {mayRegisterLots(session) && (
        <Col xs={24} lg={12}>
          <WriteForm
            title={t('lots.register')}
            testId="lot"
            submitLabel={t('tx.RegisterLot')}
            fields={[
              { name: 'id', label: 'field.lotId', kind: 'identifier', required: true },
              { name: 'warehouseId', label: 'field.warehouseId', kind: 'identifier', required: true },
              { name: 'location', label: 'field.location', kind: 'text', required: true },
              { name: 'commodity', label: 'field.commodity', kind: 'text', required: true },
              { name: 'unit', label: 'field.unit', kind: 'text', required: true },
              { name: 'quantity', label: 'field.quantity', kind: 'decimal', required: true },
            ]}
            onSubmit={async (v, key) => {
              const body = { id: v.id ?? '', warehouseId: v.warehouseId ?? '', location: v.location ?? '', commodity: v.commodity ?? '', unit: v.unit ?? '', quantity: v.quantity ?? '' };
              const lot = (await unwrap(api.POST('/v1/lots', { params: { header: { 'Idempotency-Key': key } }, body }))).data;
              return t('lots.registered', { id: lot.id });
            }}
          />
        </Col>
        )}
        {mayDraft(session) && (
          <Col xs={24} lg={12}>
            <WriteForm
              title={t('receipts.draft')}
              testId="draft"
              submitLabel={t('tx.DraftReceipt')}
              fields={[
                { name: 'id', label: 'field.id', kind: 'identifier', required: true },
                { name: 'lotId', label: 'field.lotId', kind: 'identifier', required: true },
                { name: 'owner', label: 'field.owner', kind: 'identifier', required: true },
                { name: 'quantity', label: 'field.quantity', kind: 'decimal', required: true },
                { name: 'description', label: 'field.description', kind: 'text', required: false },
              ]}
              onSubmit={async (v, key) => {
                const body = { id: v.id ?? '', lotId: v.lotId ?? '', owner: v.owner ?? '', quantity: v.quantity ?? '', ...(v.description ? { description: v.description } : {}) };
                const written = await unwrap(api.POST('/v1/receipts', { params: { header: { 'Idempotency-Key': key } }, body }));
                return t('action.done', { action: t('tx.DraftReceipt'), block: written.transaction.blockNumber });
              }}
            />
          </Col>
        )}
        {mayCountStock(session) && (
          <Col xs={24} lg={12}>
            <WriteForm
              title={t('lots.count')}
              testId="count"
              submitLabel={t('tx.RecordStockCount')}
              fields={[
                { name: 'lotId', label: 'field.lotId', kind: 'identifier', required: true },
                { name: 'quantity', label: 'lots.counted', kind: 'decimal', required: true },
                { name: 'reference', label: 'field.reference', kind: 'text', required: true },
              ]}
              onSubmit={async (v, key) => {
                const written = await unwrap(
                  api.POST('/v1/lots/{id}/stock-counts', { params: { path: { id: v.lotId ?? '' }, header: { 'Idempotency-Key': key } }, body: { quantity: v.quantity ?? '', reference: v.reference ?? '' } }),
                );
                return t('action.done', { action: t('tx.RecordStockCount'), block: written.transaction.blockNumber });
              }}
            />
          </Col>
        )}
      </Row>
    </Space>
  );
}
