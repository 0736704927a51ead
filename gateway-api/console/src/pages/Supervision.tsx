import { Empty, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useLiveRefresh } from '../events';
import { useI18n, type MessageKey } from '../i18n';
import { ProblemAlert } from './Problem';
import { tone } from './tags';

type Alarm = components['schemas']['Alarm'];
type WorkOrder = components['schemas']['WorkOrder'];

const severityTone = { critical: tone.red, major: tone.red, warning: tone.gold, info: tone.blue } as const;

/** A list the page reads once and again after each event of `types`; a refusal is shown with its code. */
function useList<T>(read: () => Promise<T[]>, types: readonly string[]): { rows: T[] | undefined; error: unknown } {
  const [rows, setRows] = useState<T[] | undefined>();
  const [error, setError] = useState<unknown>();
  const load = useCallback(() => {
    read().then(
      (items) => {
        setRows(items);
        setError(undefined);
      },
      (failure: unknown) => setError(failure),
    );
  }, [read]);
  useEffect(load, [load]);
  useLiveRefresh(types, load);
  return { rows, error };
}

const readAlarms = async () => (await unwrap(api.GET('/v1/alarms', { params: { query: { limit: 200 } } }))).data;
const readWorkOrders = async () => (await unwrap(api.GET('/v1/work-orders', { params: { query: { limit: 200 } } }))).data;

/** The alarms the caller may see, newest id last as the API pages them. */
export function AlarmsPage() {
  const { t, dateTime } = useI18n();
  const { rows, error } = useList<Alarm>(readAlarms, ['alarm.raised', 'alarm.cleared', 'alarm.withdrawn', 'alarm.acknowledged', 'alarm.shelved']);
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('alarms.title')}
      </Typography.Title>
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<Alarm>
        rowKey="id"
        size="middle"
        loading={rows === undefined}
        dataSource={rows ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('alarms.empty')} /> }}
        data-testid="alarms"
        columns={[
          { title: t('alarms.severity'), dataIndex: 'severity', render: (severity: Alarm['severity']) => <Tag style={severityTone[severity]}>{t(`severity.${severity}` as MessageKey)}</Tag> },
          { title: t('alarms.metric'), key: 'metric', render: (_: unknown, alarm) => `${alarm.metric} · ${alarm.kind}` },
          { title: t('field.warehouseId'), key: 'warehouse', render: (_: unknown, alarm) => alarm.subject.warehouseId },
          { title: t('field.lotId'), key: 'lot', render: (_: unknown, alarm) => alarm.subject.lotId ?? t('field.none') },
          { title: t('alarms.device'), key: 'device', render: (_: unknown, alarm) => alarm.subject.deviceId ?? t('field.none') },
          { title: t('field.status'), dataIndex: 'status' },
          { title: t('alarms.raisedAt'), key: 'raisedAt', render: (_: unknown, alarm) => dateTime(alarm.raisedAt) },
          { title: t('alarms.acknowledged'), key: 'ack', render: (_: unknown, alarm) => (alarm.acknowledged ? t('alarms.yes') : t('alarms.no')) },
        ]}
      />
    </Space>
  );
}

/** The work orders the caller may see, with their SLA clocks as the server keeps them. */
export function WorkOrdersPage() {
  const { t, dateTime } = useI18n();
  const { rows, error } = useList<WorkOrder>(readWorkOrders, ['work-order.created', 'work-order.assigned', 'work-order.started', 'work-order.waiting', 'work-order.resolved', 'work-order.closed', 'work-order.reopened', 'work-order.escalated']);
  const slaOf = (order: WorkOrder): { key: MessageKey; style: (typeof tone)[keyof typeof tone] } =>
    order.sla.resolve.breached || order.sla.acknowledge.breached ? { key: 'workOrders.breached', style: tone.red } : { key: 'workOrders.onTrack', style: tone.green };
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('workOrders.title')}
      </Typography.Title>
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<WorkOrder>
        rowKey="id"
        size="middle"
        loading={rows === undefined}
        dataSource={rows ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('workOrders.empty')} /> }}
        data-testid="work-orders"
        columns={[
          { title: t('workOrders.id'), dataIndex: 'id' },
          { title: t('workOrders.titleColumn'), dataIndex: 'title' },
          { title: t('workOrders.priority'), dataIndex: 'priority' },
          { title: t('field.warehouseId'), dataIndex: 'warehouseId' },
          { title: t('field.status'), dataIndex: 'state' },
          { title: t('workOrders.assignee'), key: 'assignee', render: (_: unknown, order) => order.assignee ?? t('field.none') },
          {
            title: t('workOrders.sla'),
            key: 'sla',
            render: (_: unknown, order) => {
              const sla = slaOf(order);
              return <Tag style={sla.style}>{t(sla.key)}</Tag>;
            },
          },
          { title: t('workOrders.due'), key: 'due', render: (_: unknown, order) => (order.sla.resolve.dueAt === null ? t('field.none') : dateTime(order.sla.resolve.dueAt)) },
        ]}
      />
    </Space>
  );
}
