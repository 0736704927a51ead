import { Card, Col, Empty, Row, Space, Spin, Statistic, Table, Typography } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { api, unwrap, type Session } from '../api/client';
import type { components } from '../api/schema';
import { useLiveRefresh } from '../events';
import { useI18n } from '../i18n';
import type { Stacked } from './DashboardCharts';
import { ProblemAlert } from './Problem';

type Dashboard = components['schemas']['Dashboard'];
type WorkOrder = components['schemas']['WorkOrder'];

const StackedBars = lazy(() => import('./DashboardCharts'));
const PortfolioPanel = lazy(async () => ({ default: (await import('./Collateral')).PortfolioPanel }));
const severities = ['critical', 'major', 'warning', 'info'] as const;
const severityColour: Readonly<Record<(typeof severities)[number], string>> = { critical: '#8a0c19', major: '#d4380d', warning: '#d48806', info: '#1f5fa8' };
/** The events after which the figures may have changed. */
const liveTypes = ['receipt.pledge-accepted', 'receipt.pledge-requested', 'receipt.released', 'receipt.default-declared', 'receipt.disposed', 'alarm.raised', 'checkpoint.anchored', 'work-order.created', 'work-order.resolved', 'work-order.closed'];

/** What work-order SLA the dashboard shows: of the work orders still open, how many are past a goal. */
function slaFigures(orders: readonly WorkOrder[]) {
  const open = orders.filter((order) => order.state !== 'RESOLVED' && order.state !== 'CLOSED');
  return {
    open: open.length,
    acknowledgeBreached: open.filter((order) => order.sla.acknowledge.breached).length,
    resolveBreached: open.filter((order) => order.sla.resolve.breached).length,
    onTrack: open.filter((order) => !order.sla.acknowledge.breached && !order.sla.resolve.breached).length,
  };
}

/** The 大屏: quantities under pledge, alarms over time, work-order SLA, anchoring freshness; for loan readers, collateral value. */
export function DashboardPage({ session }: { readonly session: Session }) {
  const { t, decimal, dateTime } = useI18n();
  const [figures, setFigures] = useState<Dashboard | undefined>();
  const [orders, setOrders] = useState<WorkOrder[] | undefined>();
  const [error, setError] = useState<unknown>();

  const load = useCallback(() => {
    unwrap(api.GET('/v1/dashboard', { params: { query: { days: 30 } } })).then(
      (reply) => {
        setFigures(reply.data);
        setError(undefined);
      },
      (failure: unknown) => setError(failure),
    );
    unwrap(api.GET('/v1/work-orders', { params: { query: { limit: 500 } } })).then(
      (reply) => setOrders(reply.data),
      () => setOrders([]),
    );
  }, []);
  useEffect(load, [load]);
  useLiveRefresh(liveTypes, load);

  const pledged = useMemo<Stacked | undefined>(() => {
    if (figures === undefined) return undefined;
    const rows = figures.pledged.filter((row) => row.status !== 'PLEDGE_REQUESTED');
    const categories = [...new Set(rows.map((row) => `${row.commodity} (${row.unit})`))];
    const warehouses = [...new Set(rows.map((row) => row.warehouseId))];
    return {
      categories,
      series: warehouses.map((warehouse) => ({
        name: warehouse,
        values: categories.map((category) => rows.filter((row) => row.warehouseId === warehouse && `${row.commodity} (${row.unit})` === category).reduce((sum, row) => sum + Number(row.quantity), 0)),
      })),
    };
  }, [figures]);
  const alarms = useMemo<Stacked | undefined>(() => {
    if (figures === undefined) return undefined;
    const days = [...new Set(figures.alarms.map((row) => row.day))].sort();
    return {
      categories: days,
      series: severities.map((severity) => ({
        name: t(`severity.${severity}`),
        colour: severityColour[severity],
        values: days.map((day) => figures.alarms.filter((row) => row.day === day && row.severity === severity).reduce((sum, row) => sum + row.count, 0)),
      })),
    };
  }, [figures, t]);

  if (error !== undefined && figures === undefined) return <ProblemAlert error={error} />;
  if (figures === undefined || pledged === undefined || alarms === undefined) return <Spin />;
  const sla = slaFigures(orders ?? []);
  const anchoring = figures.anchoring;
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }} data-testid="dashboard">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t('dashboard.title')}
        </Typography.Title>
        <Typography.Text type="secondary">{t('dashboard.asOf', { time: dateTime(figures.asOf) })}</Typography.Text>
      </Space>
      <Row gutter={[16, 16]}>
        <Col xs={24} md={8}>
          <Card title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('dashboard.anchoring')}</h3>} data-testid="anchoring">
            <Space size="large" wrap>
              <Statistic title={t('dashboard.lastCheckpoint')} value={anchoring.lastAnchored === null ? t('field.none') : `#${anchoring.lastAnchored.seq}`} />
              <Statistic title={t('dashboard.age')} value={anchoring.ageSeconds === null ? t('field.none') : t('dashboard.seconds', { seconds: anchoring.ageSeconds })} />
              <Statistic title={t('dashboard.waiting')} value={anchoring.leavesWaiting} data-testid="leaves-waiting" />
            </Space>
          </Card>
        </Col>
        <Col xs={24} md={16}>
          <Card title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('dashboard.sla')}</h3>} data-testid="sla">
            <Space size="large" wrap>
              <Statistic title={t('dashboard.openOrders')} value={sla.open} />
              <Statistic title={t('dashboard.onTrack')} value={sla.onTrack} />
              <Statistic title={t('dashboard.ackBreached')} value={sla.acknowledgeBreached} />
              <Statistic title={t('dashboard.resolveBreached')} value={sla.resolveBreached} />
            </Space>
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('dashboard.pledged')}</h3>}>
            {pledged.categories.length === 0 ? (
              <Empty description={t('dashboard.nothingPledged')} />
            ) : (
              <Suspense fallback={<Spin />}>
                <StackedBars data={pledged} title={t('dashboard.pledged')} horizontal testId="pledged-chart" />
              </Suspense>
            )}
            <Table
              size="small"
              pagination={false}
              rowKey={(row) => `${row.commodity}|${row.unit}|${row.warehouseId}|${row.status}`}
              dataSource={figures.pledged}
              data-testid="pledged-table"
              columns={[
                { title: t('field.commodity'), dataIndex: 'commodity' },
                { title: t('field.warehouseId'), dataIndex: 'warehouseId' },
                { title: t('field.status'), dataIndex: 'status', render: (status: string) => t(`status.${status}` as never) },
                { title: t('dashboard.receipts'), dataIndex: 'receipts', align: 'right' },
                { title: t('field.quantity'), key: 'quantity', align: 'right', render: (_: unknown, row) => `${decimal(row.quantity)} ${row.unit}` },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={12}>
          <Card title={<h3 style={{ margin: 0, fontSize: 16 }}>{t('dashboard.alarms')}</h3>}>
            {alarms.categories.length === 0 ? (
              <Empty description={t('dashboard.noAlarms')} />
            ) : (
              <Suspense fallback={<Spin />}>
                <StackedBars data={alarms} title={t('dashboard.alarms')} testId="alarms-chart" />
              </Suspense>
            )}
          </Card>
        </Col>
        {(session.org === 'lender' || session.org === 'borrower') && (
          <Col xs={24}>
            <Suspense fallback={<Spin />}>
              <PortfolioPanel />
            </Suspense>
          </Col>
        )}
      </Row>
    </Space>
  );
}
