import { receiptStatuses, type ReceiptStatus, type ReceiptTx } from '@wr/chaincode/transitions';
import { App, Button, Descriptions, Drawer, Empty, Select, Space, Table, Tag, Timeline, Typography } from 'antd';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { receiptActions } from '../actions';
import { api, ApiProblem, unwrap, type Receipt, type Session } from '../api/client';
import { useI18n, type MessageKey } from '../i18n';
import { useLiveRefresh } from '../events';
import { allowedActions } from '../lifecycle';
import { FormModal } from './FormModal';
import { ProblemAlert } from './Problem';
import { tone } from './tags';

const statusTone: Readonly<Record<ReceiptStatus, keyof typeof tone>> = {
  DRAFT: 'neutral',
  ISSUED: 'green',
  PLEDGE_REQUESTED: 'gold',
  PLEDGED: 'blue',
  DEFAULTED: 'red',
  WITHDRAWAL_REQUESTED: 'purple',
  CANCELLED: 'neutral',
  DELIVERED: 'neutral',
  SPLIT: 'neutral',
};

/** Rows per page, and the most a live refresh reads again at once (the API's limit). */
const PAGE = 50;
const MAX_ROWS = 1000;

const receiptEventTypes = [
  'receipt.drafted',
  'receipt.issued',
  'receipt.draft-cancelled',
  'receipt.withdrawal-requested',
  'receipt.delivered',
  'receipt.frozen',
  'receipt.unfrozen',
  'receipt.transferred',
  'receipt.split',
  'receipt.pledge-requested',
  'receipt.pledge-accepted',
  'receipt.pledge-rejected',
  'receipt.release-requested',
  'receipt.release-rejected',
  'receipt.released',
  'receipt.default-declared',
  'receipt.disposed',
];

export function StatusTag({ status }: { readonly status: ReceiptStatus }) {
  const { t } = useI18n();
  return (
    <Tag style={tone[statusTone[status]]} data-status={status}>
      {t(`status.${status}`)}
    </Tag>
  );
}

/** Every receipt the caller may see, a page at a time, and one receipt's detail with the actions it allows. */
export function ReceiptsPage({ session }: { readonly session: Session }) {
  const { t, decimal } = useI18n();
  const [status, setStatus] = useState<ReceiptStatus | undefined>();
  const [rows, setRows] = useState<Receipt[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [asOfBlock, setAsOfBlock] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>();
  const [openId, setOpenId] = useState<string | undefined>();

  const load = useCallback(
    async (after?: string, limit = PAGE) => {
      setLoading(true);
      setError(undefined);
      try {
        const page = await unwrap(api.GET('/v1/receipts', { params: { query: { ...(status ? { status } : {}), ...(after ? { after } : {}), limit } } }));
        setRows((previous) => (after ? [...previous, ...page.data] : page.data));
        setNext(page.next ?? null);
        setAsOfBlock(page.asOfBlock ?? null);
      } catch (failure) {
        setError(failure);
      } finally {
        setLoading(false);
      }
    },
    [status],
  );
  useEffect(() => {
    void load();
  }, [load]);
  // Any change to a receipt the caller may see (the stream keeps to its audience) reads again as many rows as are shown.
  const shown = useRef(0);
  shown.current = rows.length;
  useLiveRefresh(receiptEventTypes, () => void load(undefined, Math.min(MAX_ROWS, Math.max(PAGE, shown.current))));

  const columns = useMemo(
    () => [
      {
        title: t('field.id'),
        dataIndex: 'id',
        render: (id: string) => (
          <Button type="link" onClick={() => setOpenId(id)} data-testid={`open-${id}`} style={{ padding: 0 }}>
            {id}
          </Button>
        ),
      },
      { title: t('field.commodity'), dataIndex: 'commodity' },
      { title: t('field.quantity'), key: 'quantity', align: 'right' as const, render: (_: unknown, row: Receipt) => `${decimal(row.quantity)} ${row.unit}` },
      { title: t('field.owner'), key: 'owner', render: (_: unknown, row: Receipt) => row.owner.id },
      { title: t('field.warehouseId'), dataIndex: 'warehouseId' },
      { title: t('field.lender'), key: 'lender', render: (_: unknown, row: Receipt) => row.pledge?.lender ?? t('field.none') },
      { title: t('field.status'), key: 'status', render: (_: unknown, row: Receipt) => <StatusTag status={row.status} /> },
    ],
    [t, decimal],
  );

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('receipts.title')}
        </Typography.Title>
        <Space wrap>
          <Select
            aria-label={t('receipts.filterStatus')}
            style={{ width: 200 }}
            value={status ?? ''}
            onChange={(value: string) => setStatus(value === '' ? undefined : (value as ReceiptStatus))}
            options={[{ value: '', label: t('receipts.allStatuses') }, ...receiptStatuses.map((each) => ({ value: each, label: t(`status.${each}`) }))]}
          />
          <Button onClick={() => void load()} data-testid="refresh">
            {t('receipts.refresh')}
          </Button>
        </Space>
      </Space>
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<Receipt>
        rowKey="id"
        data-testid="receipts-table"
        size="middle"
        // A receipt's `children` are the ids of its parts, not rows to nest.
        expandable={{ childrenColumnName: 'nestedRows' }}
        loading={loading}
        dataSource={rows}
        columns={columns}
        pagination={false}
        locale={{ emptyText: <Empty description={t('receipts.empty')} /> }}
        footer={() => (
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Typography.Text type="secondary">{asOfBlock === null ? '' : t('receipts.asOfBlock', { block: asOfBlock })}</Typography.Text>
            {next !== null && <Button onClick={() => void load(next)}>{t('receipts.more')}</Button>}
          </Space>
        )}
      />
      {openId !== undefined && <ReceiptDrawer id={openId} session={session} onClose={() => setOpenId(undefined)} onChanged={() => void load()} />}
    </Space>
  );
}

function ReceiptDrawer({ id, session, onClose, onChanged }: { readonly id: string; readonly session: Session; readonly onClose: () => void; readonly onChanged: () => void }) {
  const { t, decimal, dateTime } = useI18n();
  const [receipt, setReceipt] = useState<Receipt | undefined>();
  const [history, setHistory] = useState<{ txId: string; timestamp: string; status?: string }[]>([]);
  const [error, setError] = useState<unknown>();
  const [action, setAction] = useState<Exclude<ReceiptTx, 'DraftReceipt'> | undefined>();
  const receiptSeen = useRef(false);

  const { message } = App.useApp();
  // The latest of what the parent and the language give, without re-reading the receipt each time they change.
  const latest = useRef({ message, onClose, t });
  latest.current = { message, onClose, t };
  const refresh = useCallback(async () => {
    setError(undefined);
    try {
      setReceipt((await unwrap(api.GET('/v1/receipts/{id}', { params: { path: { id } } }))).data);
      receiptSeen.current = true;
      const entries = (await unwrap(api.GET('/v1/receipts/{id}/history', { params: { path: { id } } }))).data;
      setHistory(entries.map((entry) => ({ txId: entry.txId, timestamp: entry.timestamp, status: entry.value?.status })));
    } catch (failure) {
      // After a release or a split the receipt may no longer be the caller's to see (its parts are): say so and close.
      if (receiptSeen.current && failure instanceof ApiProblem && failure.code === 'NOT_FOUND') {
        void latest.current.message.info(latest.current.t('receipt.gone', { id }));
        latest.current.onClose();
        return;
      }
      setError(failure);
    }
  }, [id]);
  useEffect(() => {
    void refresh();
  }, [refresh]);

  const actions = receipt === undefined ? [] : (allowedActions(receipt, session) as Exclude<ReceiptTx, 'DraftReceipt'>[]);
  return (
    <Drawer open width={640} title={t('receipt.title', { id })} onClose={onClose} destroyOnHidden>
      {error !== undefined && <ProblemAlert error={error} />}
      {receipt !== undefined && (
        <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="receipt-detail" data-status={receipt.status}>
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label={t('field.status')}>
              <StatusTag status={receipt.status} />
            </Descriptions.Item>
            <Descriptions.Item label={t('field.commodity')}>{receipt.commodity}</Descriptions.Item>
            <Descriptions.Item label={t('field.quantity')}>
              <span data-testid="quantity">{decimal(receipt.quantity)}</span> {receipt.unit}
            </Descriptions.Item>
            <Descriptions.Item label={t('field.owner')}>{receipt.owner.id}</Descriptions.Item>
            <Descriptions.Item label={t('field.lotId')}>{receipt.lotId}</Descriptions.Item>
            <Descriptions.Item label={t('field.warehouseId')}>{receipt.warehouseId}</Descriptions.Item>
            <Descriptions.Item label={t('field.custodian')}>{receipt.custodian}</Descriptions.Item>
            <Descriptions.Item label={t('receipt.pledge')}>
              {receipt.pledge ? `${receipt.pledge.lender} · ${receipt.pledge.loanReference} · ${decimal(receipt.pledge.loanAmount)} ${receipt.pledge.currency}` : t('field.none')}
            </Descriptions.Item>
            {receipt.pendingRelease && (
              <Descriptions.Item label={t('field.pendingRelease')}>
                {decimal(receipt.pendingRelease.quantity)} {receipt.unit}
              </Descriptions.Item>
            )}
            <Descriptions.Item label={t('field.frozen')}>
              {receipt.freezes.length === 0 ? t('field.none') : receipt.freezes.map((hold) => `${hold.org}: ${hold.reason} (${hold.reference})`).join('; ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('field.updatedAt')}>{dateTime(receipt.updatedAt)}</Descriptions.Item>
          </Descriptions>
          <section aria-label={t('receipt.actions')}>
            <Typography.Title level={3} style={{ fontSize: 16 }}>
              {t('receipt.actions')}
            </Typography.Title>
            {actions.length === 0 ? (
              <Typography.Text type="secondary" data-testid="no-actions">
                {t('receipt.noActions')}
              </Typography.Text>
            ) : (
              <Space wrap data-testid="actions">
                {actions.map((tx) => (
                  <Button key={tx} onClick={() => setAction(tx)} data-testid={`action-${tx}`} danger={tx === 'DeclareDefault' || tx === 'Freeze'}>
                    {t(`tx.${tx}`)}
                  </Button>
                ))}
              </Space>
            )}
          </section>
          <Encumbrance id={id} />
          <section aria-label={t('receipt.history')}>
            <Typography.Title level={3} style={{ fontSize: 16 }}>
              {t('receipt.history')}
            </Typography.Title>
            <Timeline
              items={history.map((entry) => ({
                key: entry.txId,
                content: (
                  <span>
                    {dateTime(entry.timestamp)} · {entry.status === undefined ? '' : t(`status.${entry.status}` as MessageKey)} · <code>{entry.txId.slice(0, 12)}</code>
                  </span>
                ),
              }))}
            />
          </section>
        </Space>
      )}
      {action !== undefined && receipt !== undefined && (
        <ActionModal
          tx={action}
          receipt={receipt}
          onClose={() => setAction(undefined)}
          onDone={() => {
            setAction(undefined);
            void refresh();
            onChanged();
          }}
        />
      )}
    </Drawer>
  );
}

function ActionModal({ tx, receipt, onClose, onDone }: { readonly tx: Exclude<ReceiptTx, 'DraftReceipt'>; readonly receipt: Receipt; readonly onClose: () => void; readonly onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const spec = receiptActions[tx];
  return (
    <FormModal
      title={`${t(`tx.${tx}`)} · ${receipt.id}`}
      fields={spec.fields}
      onClose={onClose}
      onSubmit={async (values, key) => {
        const { blockNumber } = await spec.run(receipt.id, values, key);
        void message.success(t('action.done', { action: t(`tx.${tx}`), block: blockNumber }));
        onDone();
      }}
    />
  );
}

/** The encumbrance check a lender makes before lending: the ledger's answer now, not the projection's. */
function Encumbrance({ id }: { readonly id: string }) {
  const { t, decimal, dateTime } = useI18n();
  const [answer, setAnswer] = useState<Awaited<ReturnType<typeof readEncumbrance>> | undefined>();
  const [error, setError] = useState<unknown>();
  const check = async () => {
    setError(undefined);
    try {
      setAnswer(await readEncumbrance(id));
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <section aria-label={t('receipt.encumbrance')}>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3} style={{ fontSize: 16, margin: 0 }}>
          {t('receipt.encumbrance')}
        </Typography.Title>
        <Button onClick={() => void check()} data-testid="encumbrance-check">
          {t('receipt.check')}
        </Button>
      </Space>
      {error !== undefined && <ProblemAlert error={error} />}
      {answer !== undefined && (
        <Descriptions column={1} size="small" bordered style={{ marginTop: 8 }} data-testid="encumbrance" data-encumbered={String(answer.encumbered)}>
          <Descriptions.Item label={t('receipt.encumbranceOf')}>
            <strong>{answer.encumbered ? t('receipt.encumbered') : t('receipt.clear')}</strong> · {dateTime(answer.data.asOf)}
          </Descriptions.Item>
          <Descriptions.Item label={t('field.owner')}>{`${answer.data.owner.mspId} / ${answer.data.owner.id}`}</Descriptions.Item>
          <Descriptions.Item label={t('receipt.pledge')}>
            {answer.data.pledge ? `${answer.data.pledge.lender} · ${answer.data.pledge.loanReference} · ${decimal(answer.data.pledge.loanAmount)} ${answer.data.pledge.currency}` : t('field.none')}
          </Descriptions.Item>
          <Descriptions.Item label={t('field.frozen')}>{answer.data.freezes.length === 0 ? t('field.none') : answer.data.freezes.map((hold) => `${hold.org}: ${hold.reason}`).join('; ')}</Descriptions.Item>
          <Descriptions.Item label={t('receipt.openRisks')}>{answer.data.openRiskEvents.length === 0 ? t('field.none') : answer.data.openRiskEvents.map((risk) => `${risk.kind} (${risk.severity})`).join('; ')}</Descriptions.Item>
        </Descriptions>
      )}
    </section>
  );
}

async function readEncumbrance(id: string) {
  const { data } = await unwrap(api.GET('/v1/receipts/{id}/encumbrance', { params: { path: { id } } }));
  const encumbered = data.pledge !== null || data.frozen || data.pendingRelease !== null || data.openRiskEvents.length > 0;
  return { data, encumbered };
}
