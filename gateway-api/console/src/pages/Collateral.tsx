import { Alert, App, Button, Card, Col, Descriptions, Drawer, Empty, Row, Select, Space, Spin, Statistic, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import type { ActionField } from '../actions';
import { api, ApiProblem, unwrap, type Session } from '../api/client';
import type { components } from '../api/schema';
import { useLiveRefresh } from '../events';
import { useI18n, type MessageKey } from '../i18n';
import type { Stacked } from './DashboardCharts';
import { FormModal } from './FormModal';
import type { TimeLine } from './LtvChart';
import { ProblemAlert } from './Problem';
import { useList } from './Supervision';
import { tone } from './tags';

type Loan = components['schemas']['LoanSummary'];
type LoanDetail = components['schemas']['LoanDetail'];
type MarginCall = components['schemas']['MarginCall'];
type CommodityPrice = components['schemas']['CommodityPrice'];
type PriceHistory = components['schemas']['PriceHistory'];
type Portfolio = components['schemas']['Portfolio'];

const TimeLineChart = lazy(() => import('./LtvChart'));
const StackedBars = lazy(() => import('./DashboardCharts'));

/** After these events a loan's figures or its calls may have changed. */
const loanEvents = ['price.recorded', 'loan.opened', 'loan.terms-amended', 'loan.repayment-recorded', 'margin-call.opened', 'margin-call.escalated', 'margin-call.cured', 'margin-call.closed', 'receipt.released', 'receipt.pledge-accepted'];
const callEvents = ['margin-call.opened', 'margin-call.escalated', 'margin-call.cured', 'margin-call.closed'];
const priceEvents = ['price.recorded', 'price.stale', 'price.stale-cleared'];

const bandTone = { OK: tone.green, WARNING: tone.gold, LIQUIDATION: tone.red, UNPRICED: tone.neutral, UNMARKED: tone.neutral } as const;
const callTone = { OPEN: tone.gold, ESCALATED: tone.red, CURED: tone.green, CLOSED: tone.neutral } as const;

/** A fraction ("0.742721") as a percentage for reading ("74.27%"); the exact fraction stays in the tag's title. */
const percent = (fraction: string | null | undefined): string => (fraction == null ? '—' : `${(Number(fraction) * 100).toFixed(2)}%`);

/** Who may record repayments and amend terms: the lender's officer and approver (the chaincode checks again). */
const mayRepay = (session: Session) => session.org === 'lender' && session.role === 'officer';
const mayAmend = (session: Session) => session.org === 'lender' && session.role === 'approver';

const readLoans = async () => (await unwrap(api.GET('/v1/loans', { params: { query: { limit: 500 } } }))).data;

/** The band of a loan as a tag: OK, at or above the warning line (警戒线), at or above the liquidation line (平仓线), unpriced. */
function BandTag({ loan }: { readonly loan: Pick<Loan, 'band' | 'state' | 'ltv'> }) {
  const { t } = useI18n();
  const band = loan.state === 'UNPRICED' ? 'UNPRICED' : (loan.band ?? 'UNMARKED');
  return (
    <Tag style={bandTone[band]} title={loan.ltv ?? undefined} data-testid="band">
      {percent(loan.ltv)} · {t(`collateral.band.${band}` as MessageKey)}
    </Tag>
  );
}

/** The lender's portfolio (贷款组合) or the borrower's loans: value, LTV against the lines, any margin call. */
export function LoansPage({ session }: { readonly session: Session }) {
  const { t, decimal, dateTime } = useI18n();
  const [open, setOpen] = useState<string | undefined>();
  const { rows, error } = useList<Loan>(readLoans, loanEvents);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t(session.org === 'borrower' ? 'collateral.myLoans' : 'collateral.loans')}
      </Typography.Title>
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<Loan>
        rowKey={(loan) => `${loan.lender}|${loan.loanReference}`}
        size="middle"
        loading={rows === undefined}
        dataSource={rows ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('collateral.noLoans')} /> }}
        data-testid="loans"
        columns={[
          {
            title: t('field.loanReference'),
            key: 'reference',
            render: (_: unknown, loan) => (
              <Button type="link" onClick={() => setOpen(loan.loanReference)} data-testid={`loan-${loan.loanReference}`}>
                {loan.loanReference}
              </Button>
            ),
          },
          { title: t('field.owner'), key: 'borrower', render: (_: unknown, loan) => loan.borrower.id },
          { title: t('collateral.value'), key: 'value', align: 'right', render: (_: unknown, loan) => (loan.value === null ? t('field.none') : `${decimal(loan.value)} ${loan.currency}`) },
          { title: t('collateral.outstanding'), key: 'outstanding', align: 'right', render: (_: unknown, loan) => `${decimal(loan.outstanding)} ${loan.currency}` },
          { title: t('collateral.ltv'), key: 'ltv', render: (_: unknown, loan) => <BandTag loan={loan} /> },
          { title: t('collateral.lines'), key: 'lines', render: (_: unknown, loan) => `${percent(loan.terms.warningLtv)} / ${percent(loan.terms.liquidationLtv)}` },
          {
            title: t('collateral.marginCall'),
            key: 'call',
            render: (_: unknown, loan) =>
              loan.marginCall === null ? (
                t('field.none')
              ) : (
                <Space wrap>
                  <Tag style={callTone[(loan.marginCall.status ?? 'OPEN') as keyof typeof callTone]}>{t(`collateral.call.${loan.marginCall.status ?? 'OPEN'}` as MessageKey)}</Tag>
                  {loan.marginCall.deadline === null ? null : t('collateral.cureBy', { deadline: dateTime(loan.marginCall.deadline) })}
                </Space>
              ),
          },
        ]}
      />
      {open !== undefined && <LoanDrawer loanReference={open} session={session} onClose={() => setOpen(undefined)} />}
    </Space>
  );
}

const repaymentFields: readonly ActionField[] = [
  { name: 'amount', label: 'collateral.amount', kind: 'decimal', required: true },
  { name: 'reference', label: 'field.reference', kind: 'text', required: true },
];
const termsFields: readonly ActionField[] = [
  { name: 'haircut', label: 'field.haircut', kind: 'decimal', required: false },
  { name: 'warningLtv', label: 'field.warningLtv', kind: 'decimal', required: false },
  { name: 'liquidationLtv', label: 'field.liquidationLtv', kind: 'decimal', required: false },
  { name: 'cureHours', label: 'field.cureHours', kind: 'cureHours', required: false },
  { name: 'reason', label: 'field.reason', kind: 'text', required: true },
];
const given = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** One loan: its figures and terms, the LTV history against its lines, its receipts, repayments and margin calls. */
function LoanDrawer({ loanReference, session, onClose }: { readonly loanReference: string; readonly session: Session; readonly onClose: () => void }) {
  const { t, decimal, dateTime } = useI18n();
  const { message } = App.useApp();
  const [loan, setLoan] = useState<LoanDetail | undefined>();
  const [error, setError] = useState<unknown>();
  const [form, setForm] = useState<'repayment' | 'terms' | undefined>();
  const load = useCallback(() => {
    unwrap(api.GET('/v1/loans/{loanReference}', { params: { path: { loanReference } } })).then(
      (reply) => {
        setLoan(reply.data);
        setError(undefined);
      },
      (failure: unknown) => setError(failure),
    );
  }, [loanReference]);
  useEffect(load, [load]);
  useLiveRefresh(loanEvents, load);
  const history = useMemo((): TimeLine | undefined => {
    if (loan === undefined) return undefined;
    const points = loan.history.filter((entry) => entry.ltv !== null).map((entry): [string, number] => [entry.at, Number(entry.ltv)]);
    if (loan.ltv !== null && loan.markedAt !== null) points.push([loan.markedAt, Number(loan.ltv)]);
    return {
      name: t('collateral.ltv'),
      points,
      lines: [
        { name: t('collateral.warningLine'), value: Number(loan.terms.warningLtv), colour: '#d48806' },
        { name: t('collateral.liquidationLine'), value: Number(loan.terms.liquidationLtv), colour: '#8a0c19' },
      ],
    };
  }, [loan, t]);
  return (
    <Drawer open width={760} title={`${t('field.loanReference')} ${loanReference}`} onClose={onClose} data-testid="loan-drawer">
      {error !== undefined && <ProblemAlert error={error} />}
      {loan === undefined ? (
        error === undefined && <Spin />
      ) : (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Descriptions size="small" column={2} bordered data-testid="loan-figures">
            <Descriptions.Item label={t('collateral.value')}>{loan.value === null ? t('field.none') : `${decimal(loan.value)} ${loan.currency}`}</Descriptions.Item>
            <Descriptions.Item label={t('collateral.ltv')}>
              <BandTag loan={loan} />
            </Descriptions.Item>
            <Descriptions.Item label={t('collateral.principal')}>{`${decimal(loan.principal)} ${loan.currency}`}</Descriptions.Item>
            <Descriptions.Item label={t('collateral.outstanding')}>{`${decimal(loan.outstanding)} ${loan.currency}`}</Descriptions.Item>
            <Descriptions.Item label={t('field.haircut')}>{percent(loan.terms.haircut)}</Descriptions.Item>
            <Descriptions.Item label={t('collateral.lines')}>{`${percent(loan.terms.warningLtv)} / ${percent(loan.terms.liquidationLtv)}`}</Descriptions.Item>
            <Descriptions.Item label={t('field.cureHours')}>{loan.terms.cureHours}</Descriptions.Item>
            <Descriptions.Item label={t('collateral.markedAt')}>{loan.markedAt === null ? t('field.none') : dateTime(loan.markedAt)}</Descriptions.Item>
          </Descriptions>
          {loan.problems.length > 0 && (
            // Why marking could not value the loan (a missing or foreign-currency mark): the loan's state, not a refusal.
            <Alert
              type="warning"
              showIcon
              title={t('collateral.unpriced')}
              data-testid="loan-problems"
              description={
                <ul style={{ margin: 0, paddingInlineStart: 20 }}>
                  {loan.problems.map((problem) => (
                    <li key={`${problem.commodity}|${problem.code}`}>
                      {problem.commodity} · <code>{problem.code}</code> · {problem.message}
                    </li>
                  ))}
                </ul>
              }
            />
          )}
          <Space wrap>
            {mayRepay(session) && (
              <Button onClick={() => setForm('repayment')} data-testid="record-repayment">
                {t('collateral.recordRepayment')}
              </Button>
            )}
            {mayAmend(session) && (
              <Button onClick={() => setForm('terms')} data-testid="amend-terms">
                {t('collateral.amendTerms')}
              </Button>
            )}
          </Space>
          <Card size="small" title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('collateral.history')}</h3>}>
            {history === undefined || history.points.length === 0 ? (
              <Empty description={t('collateral.noHistory')} />
            ) : (
              <Suspense fallback={<Spin />}>
                <TimeLineChart data={history} title={t('collateral.history')} testId="ltv-chart" />
              </Suspense>
            )}
            <Table
              size="small"
              rowKey={(entry) => `${entry.at}|${entry.cause}`}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              dataSource={[...loan.history].reverse()}
              data-testid="loan-history"
              columns={[
                { title: t('collateral.at'), dataIndex: 'at', render: (at: string) => dateTime(at) },
                { title: t('collateral.cause'), dataIndex: 'cause', render: (cause: string) => t(`collateral.cause.${cause}` as MessageKey) },
                { title: t('collateral.ltv'), key: 'ltv', render: (_: unknown, entry) => percent(entry.ltv) },
                { title: t('collateral.value'), key: 'value', align: 'right', render: (_: unknown, entry) => (entry.value === null ? t('field.none') : decimal(entry.value)) },
              ]}
            />
          </Card>
          <Table
            size="small"
            rowKey="commodity"
            pagination={false}
            dataSource={loan.holdings}
            data-testid="loan-holdings"
            columns={[
              { title: t('field.commodity'), dataIndex: 'commodity' },
              { title: t('field.quantity'), key: 'quantity', align: 'right', render: (_: unknown, holding) => `${decimal(holding.quantity)} ${holding.unit}` },
              { title: t('collateral.mark'), key: 'mark', align: 'right', render: (_: unknown, holding) => (holding.mark === null ? t('field.none') : `${decimal(String(holding.mark.price))} ${String(holding.mark.currency)}`) },
            ]}
          />
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={loan.receipts}
            data-testid="loan-receipts"
            columns={[
              { title: t('field.id'), dataIndex: 'id' },
              { title: t('field.status'), dataIndex: 'status', render: (status: string) => t(`status.${status}` as MessageKey) },
              { title: t('field.quantity'), key: 'quantity', align: 'right', render: (_: unknown, receipt) => `${decimal(receipt.quantity)} ${receipt.unit}` },
              { title: t('field.warehouseId'), dataIndex: 'warehouseId' },
            ]}
          />
          <Table
            size="small"
            rowKey="reference"
            pagination={false}
            dataSource={loan.repayments}
            locale={{ emptyText: <Empty description={t('collateral.noRepayments')} /> }}
            data-testid="loan-repayments"
            columns={[
              { title: t('field.reference'), dataIndex: 'reference' },
              { title: t('collateral.amount'), key: 'amount', align: 'right', render: (_: unknown, repayment) => `${decimal(repayment.amount)} ${repayment.currency}` },
              { title: t('collateral.outstanding'), key: 'after', align: 'right', render: (_: unknown, repayment) => decimal(repayment.outstandingAfter) },
              { title: t('collateral.at'), dataIndex: 'recordedAt', render: (at: string) => dateTime(at) },
            ]}
          />
          <CallTable calls={loan.marginCalls} testId="loan-calls" />
        </Space>
      )}
      {form === 'repayment' && loan !== undefined && (
        <FormModal
          title={`${t('collateral.recordRepayment')} · ${loan.loanReference}`}
          fields={repaymentFields}
          onClose={() => setForm(undefined)}
          onSubmit={async (values, key) => {
            await unwrap(
              api.POST('/v1/loans/{loanReference}/repayments', {
                params: { path: { loanReference: loan.loanReference }, header: { 'Idempotency-Key': key } },
                body: { amount: values.amount ?? '', currency: loan.currency, reference: values.reference ?? '' },
              }),
            );
            void message.success(t('collateral.repaymentRecorded'));
            load();
          }}
        />
      )}
      {form === 'terms' && loan !== undefined && (
        <FormModal
          title={`${t('collateral.amendTerms')} · ${loan.loanReference}`}
          fields={termsFields}
          onClose={() => setForm(undefined)}
          onSubmit={async (values, key) => {
            const cureHours = given(values.cureHours);
            const terms = {
              ...(given(values.haircut) === undefined ? {} : { haircut: given(values.haircut) }),
              ...(given(values.warningLtv) === undefined ? {} : { warningLtv: given(values.warningLtv) }),
              ...(given(values.liquidationLtv) === undefined ? {} : { liquidationLtv: given(values.liquidationLtv) }),
              ...(cureHours === undefined ? {} : { cureHours: Number(cureHours) }),
            };
            await unwrap(api.POST('/v1/loans/{loanReference}/terms-amendment', { params: { path: { loanReference: loan.loanReference }, header: { 'Idempotency-Key': key } }, body: { terms, reason: values.reason ?? '' } }));
            void message.success(t('collateral.termsAmended'));
            load();
          }}
        />
      )}
    </Drawer>
  );
}

/** Margin calls: status, the LTV that opened it against the lines, its deadline, and what ended it. */
function CallTable({ calls, testId, loading = false }: { readonly calls: readonly MarginCall[]; readonly testId: string; readonly loading?: boolean }) {
  const { t, dateTime, decimal } = useI18n();
  return (
    <Table<MarginCall>
      rowKey="id"
      size="small"
      loading={loading}
      dataSource={[...calls]}
      pagination={{ pageSize: 50, hideOnSinglePage: true }}
      locale={{ emptyText: <Empty description={t('collateral.noCalls')} /> }}
      data-testid={testId}
      columns={[
        { title: t('field.loanReference'), dataIndex: 'loanReference' },
        { title: t('field.owner'), key: 'borrower', render: (_: unknown, call) => call.borrower.id },
        {
          title: t('field.status'),
          key: 'status',
          render: (_: unknown, call) => (
            <Tag style={callTone[call.status]} data-testid={`call-${call.status}`}>
              {t(`collateral.call.${call.status}` as MessageKey)}
              {call.escalation === null ? '' : ` · ${t(`collateral.escalation.${call.escalation}` as MessageKey)}`}
            </Tag>
          ),
        },
        { title: t('collateral.openedLtv'), key: 'openedLtv', render: (_: unknown, call) => percent(call.openedLtv) },
        { title: t('collateral.ltv'), key: 'ltv', render: (_: unknown, call) => percent(call.ltv) },
        { title: t('collateral.lines'), key: 'lines', render: (_: unknown, call) => `${percent(call.warningLtv)} / ${percent(call.liquidationLtv)}` },
        { title: t('collateral.outstanding'), key: 'outstanding', align: 'right', render: (_: unknown, call) => `${decimal(call.outstanding)} ${call.currency}` },
        { title: t('collateral.deadline'), key: 'deadline', render: (_: unknown, call) => dateTime(call.deadline) },
        { title: t('collateral.endedBy'), key: 'ended', render: (_: unknown, call) => (call.endedBy === null ? t('field.none') : t(`collateral.cause.${String(call.endedBy.kind)}` as MessageKey)) },
      ]}
    />
  );
}

const statusFilters = ['ACTIVE', 'OPEN', 'ESCALATED', 'CURED', 'CLOSED'] as const;

/** Margin calls (追加保证金 / 补货): the lender's on its loans, escalated ones first; a borrower's own ("your calls"). */
export function MarginCallsPage({ session }: { readonly session: Session }) {
  const { t } = useI18n();
  const [status, setStatus] = useState<(typeof statusFilters)[number] | undefined>();
  const read = useCallback(async () => {
    const calls = (await unwrap(api.GET('/v1/margin-calls', { params: { query: { limit: 500, ...(status === undefined ? {} : { status }) } } }))).data;
    // Escalated first (the lender's approver decides), then open by deadline, then the rest.
    const rank = { ESCALATED: 0, OPEN: 1, CURED: 2, CLOSED: 3 } as const;
    return [...calls].sort((a, b) => rank[a.status] - rank[b.status] || a.deadline.localeCompare(b.deadline));
  }, [status]);
  const { rows, error } = useList<MarginCall>(read, callEvents);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t(session.org === 'borrower' ? 'collateral.myCalls' : 'collateral.calls')}
      </Typography.Title>
      <Select
        allowClear
        style={{ width: 240 }}
        placeholder={t('collateral.anyStatus')}
        aria-label={t('field.status')}
        value={status}
        onChange={(value) => setStatus(value)}
        options={statusFilters.map((value) => ({ value, label: t(`collateral.call.${value}` as MessageKey) }))}
        data-testid="call-status"
      />
      {error !== undefined && <ProblemAlert error={error} />}
      <CallTable calls={rows ?? []} loading={rows === undefined} testId="margin-calls" />
    </Space>
  );
}

const markFields = (now: string): readonly ActionField[] => [
  { name: 'commodity', label: 'field.commodity', kind: 'text', required: true },
  { name: 'unit', label: 'field.unit', kind: 'text', required: true, initial: 't' },
  { name: 'price', label: 'collateral.price', kind: 'decimal', required: true },
  { name: 'currency', label: 'field.currency', kind: 'text', required: true, initial: 'CNY' },
  { name: 'source', label: 'collateral.source', kind: 'text', required: true },
  { name: 'asOf', label: 'collateral.asOf', kind: 'text', required: true, initial: now },
];
const importFields: readonly ActionField[] = [
  { name: 'format', label: 'collateral.format', kind: 'text', required: true, initial: 'csv' },
  { name: 'content', label: 'collateral.content', kind: 'multiline', required: true, initial: 'commodity,unit,price,currency,source,asOf\n' },
];

const readPrices = async () => (await unwrap(api.GET('/v1/prices'))).data;

/** Price marks (价格盯市): each commodity's latest mark and its staleness; the oracle records marks and imports feeds. */
export function PricesPage({ session }: { readonly session: Session }) {
  const { t, decimal, dateTime } = useI18n();
  const { message } = App.useApp();
  const oracle = session.org === 'custodian' && session.role === 'oracle';
  const [form, setForm] = useState<'mark' | 'import' | undefined>();
  const [open, setOpen] = useState<string | undefined>();
  const { rows, error, load } = useList<CommodityPrice>(readPrices, priceEvents);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('collateral.prices')}
      </Typography.Title>
      {oracle && (
        <Space wrap>
          <Button type="primary" onClick={() => setForm('mark')} data-testid="record-mark">
            {t('collateral.recordMark')}
          </Button>
          <Button onClick={() => setForm('import')} data-testid="import-feed">
            {t('collateral.importFeed')}
          </Button>
        </Space>
      )}
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<CommodityPrice>
        rowKey="commodity"
        size="middle"
        loading={rows === undefined}
        dataSource={rows ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('collateral.noPrices')} /> }}
        data-testid="prices"
        columns={[
          {
            title: t('field.commodity'),
            dataIndex: 'commodity',
            render: (commodity: string) => (
              <Button type="link" onClick={() => setOpen(commodity)} data-testid={`price-${commodity}`}>
                {commodity}
              </Button>
            ),
          },
          { title: t('collateral.price'), key: 'price', align: 'right', render: (_: unknown, row) => `${decimal(row.latest.price)} ${row.latest.currency}/${row.latest.unit}` },
          { title: t('collateral.asOf'), key: 'asOf', render: (_: unknown, row) => dateTime(row.latest.asOf) },
          { title: t('collateral.source'), key: 'source', render: (_: unknown, row) => row.latest.source },
          {
            title: t('collateral.staleness'),
            key: 'stale',
            render: (_: unknown, row) =>
              row.staleAlarm === null ? (
                <Tag style={tone.green}>{t('collateral.fresh', { hours: row.staleAfterHours })}</Tag>
              ) : (
                <Tag style={tone.red} data-testid="stale">
                  {t('collateral.stale', { hours: row.staleAfterHours })}
                </Tag>
              ),
          },
        ]}
      />
      {open !== undefined && <PriceDrawer commodity={open} onClose={() => setOpen(undefined)} />}
      {form === 'mark' && (
        <FormModal
          title={t('collateral.recordMark')}
          fields={markFields(new Date().toISOString())}
          onClose={() => setForm(undefined)}
          onSubmit={async (values, key) => {
            await unwrap(
              api.POST('/v1/prices', {
                params: { header: { 'Idempotency-Key': key } },
                body: { commodity: values.commodity ?? '', unit: values.unit ?? '', price: values.price ?? '', currency: values.currency ?? '', source: values.source ?? '', asOf: values.asOf ?? '' },
              }),
            );
            void message.success(t('collateral.markRecorded'));
            load();
          }}
        />
      )}
      {form === 'import' && (
        <FormModal
          title={t('collateral.importFeed')}
          fields={importFields}
          onClose={() => setForm(undefined)}
          onSubmit={async (values) => {
            const format = values.format?.trim().toLowerCase() === 'json' ? 'json' : 'csv';
            const result = (await unwrap(api.POST('/v1/price-imports', { body: { format, content: values.content ?? '' } }))).data;
            void message.success(t('collateral.imported', { recorded: result.recorded.length, skipped: result.skipped }));
            load();
          }}
        />
      )}
    </Space>
  );
}

/** A commodity's marks over time, newest first, with a chart. */
function PriceDrawer({ commodity, onClose }: { readonly commodity: string; readonly onClose: () => void }) {
  const { t, decimal, dateTime } = useI18n();
  const [history, setHistory] = useState<PriceHistory | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    unwrap(api.GET('/v1/prices/{commodity}', { params: { path: { commodity }, query: { limit: 500 } } })).then(
      (reply) => setHistory(reply.data),
      (failure: unknown) => setError(failure),
    );
  }, [commodity]);
  const line = useMemo((): TimeLine | undefined => (history === undefined ? undefined : { name: `${commodity} (${history.inForce.currency}/${history.inForce.unit})`, points: [...history.items].reverse().map((mark): [string, number] => [mark.asOf, Number(mark.price)]) }), [history, commodity]);
  return (
    <Drawer open width={720} title={commodity} onClose={onClose} data-testid="price-drawer">
      {error !== undefined && <ProblemAlert error={error} />}
      {history === undefined || line === undefined ? (
        error === undefined && <Spin />
      ) : (
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <Suspense fallback={<Spin />}>
            <TimeLineChart data={line} title={t('collateral.markHistory')} testId="price-chart" />
          </Suspense>
          <Table
            size="small"
            rowKey="asOf"
            pagination={{ pageSize: 20, hideOnSinglePage: true }}
            dataSource={history.items}
            data-testid="price-history"
            columns={[
              { title: t('collateral.asOf'), dataIndex: 'asOf', render: (at: string) => dateTime(at) },
              { title: t('collateral.price'), key: 'price', align: 'right', render: (_: unknown, mark) => `${decimal(mark.price)} ${mark.currency}` },
              { title: t('collateral.source'), dataIndex: 'source' },
              { title: t('collateral.recordedBy'), dataIndex: 'recordedBy' },
            ]}
          />
        </Space>
      )}
    </Drawer>
  );
}

/** The 大屏's collateral panel: value under pledge and outstanding by currency, loans by LTV band, open calls. */
export function PortfolioPanel() {
  const { t, decimal } = useI18n();
  const [portfolio, setPortfolio] = useState<Portfolio | undefined>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    unwrap(api.GET('/v1/portfolio')).then(
      (reply) => {
        setPortfolio(reply.data);
        setError(undefined);
      },
      (failure: unknown) => setError(failure),
    );
  }, []);
  useEffect(load, [load]);
  useLiveRefresh(loanEvents, load);
  const bands = useMemo(
    (): Stacked => ({
      categories: (portfolio?.bands ?? []).map((row) => t(`collateral.band.${row.band}` as MessageKey)),
      series: [{ name: t('collateral.loanCount'), values: (portfolio?.bands ?? []).map((row) => row.loans), colour: '#1f5fa8' }],
    }),
    [portfolio, t],
  );
  // A caller who may not read loans has no panel, not a refusal on the 大屏.
  if (error instanceof ApiProblem && error.status === 403) return null;
  if (error !== undefined) return <ProblemAlert error={error} />;
  if (portfolio === undefined) return <Spin />;
  return (
    <Card title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('collateral.portfolio')}</h3>} data-testid="portfolio">
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={10}>
          {portfolio.currencies.length === 0 ? (
            <Empty description={t('collateral.noLoans')} />
          ) : (
            <Space direction="vertical">
              {portfolio.currencies.map((row) => (
                <Space key={row.currency} size="large" wrap data-testid={`portfolio-${row.currency}`}>
                  <Statistic title={t('collateral.valueUnderPledge', { currency: row.currency })} value={decimal(row.value)} />
                  <Statistic title={t('collateral.outstanding')} value={decimal(row.outstanding)} />
                  <Statistic title={t('collateral.loanCount')} value={row.loans} />
                </Space>
              ))}
              <Space size="large" wrap>
                {portfolio.marginCalls.map((row) => (
                  <Statistic key={row.status} title={t(`collateral.call.${row.status}` as MessageKey)} value={row.calls} />
                ))}
              </Space>
            </Space>
          )}
        </Col>
        <Col xs={24} lg={14}>
          {bands.categories.length === 0 ? null : (
            <Suspense fallback={<Spin />}>
              <StackedBars data={bands} title={t('collateral.byBand')} testId="bands-chart" />
            </Suspense>
          )}
          <Table
            size="small"
            pagination={false}
            rowKey="band"
            dataSource={portfolio.bands}
            data-testid="bands-table"
            columns={[
              { title: t('collateral.ltvBand'), dataIndex: 'band', render: (band: string) => t(`collateral.band.${band}` as MessageKey) },
              { title: t('collateral.loanCount'), dataIndex: 'loans', align: 'right' },
            ]}
          />
        </Col>
      </Row>
    </Card>
  );
}
