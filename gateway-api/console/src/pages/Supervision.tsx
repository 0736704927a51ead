import { transitionActors, transitions, type TransitionName } from '@wr/gateway-api/work-order-lifecycle';
import { App, Button, Empty, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import type { ActionField } from '../actions';
import { api, unwrap, type Session } from '../api/client';
import type { components } from '../api/schema';
import { useLiveRefresh } from '../events';
import { useI18n, type MessageKey } from '../i18n';
import { FormModal } from './FormModal';
import { ProblemAlert } from './Problem';
import { tone } from './tags';

type Alarm = components['schemas']['Alarm'];
type WorkOrder = components['schemas']['WorkOrder'];

const severityTone = { critical: tone.red, major: tone.red, warning: tone.gold, info: tone.blue } as const;

/** A list the page reads once and again after each event of `types`; a refusal is shown with its code. */
export function useList<T>(read: () => Promise<T[]>, types: readonly string[]): { rows: T[] | undefined; error: unknown; load: () => void } {
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
  return { rows, error, load };
}

const noteField = (required: boolean): ActionField => ({ name: 'note', label: 'workOrders.field.note', kind: 'text', required });

/** The body fields each work-order transition asks for (the API's schemas: a note where it is required). */
const transitionFields: Readonly<Record<TransitionName, readonly ActionField[]>> = {
  assignment: [{ name: 'assignee', label: 'workOrders.field.assignee', kind: 'text', required: true }, noteField(false)],
  start: [noteField(false)],
  waiting: [noteField(true)],
  resolution: [noteField(true)],
  closure: [noteField(false)],
  reopening: [noteField(true)],
};

/** The transitions this caller may run on a work order now: the state allows it and the caller's role may. */
function allowedTransitions(order: WorkOrder, session: Session): TransitionName[] {
  if (session.org !== 'custodian') return [];
  return (Object.keys(transitions) as TransitionName[]).filter(
    (name) => (transitions[name].from as readonly string[]).includes(order.state) && (transitionActors[name] as readonly string[]).includes(session.role),
  );
}

const optionalText = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

const readAlarms = async () => (await unwrap(api.GET('/v1/alarms', { params: { query: { limit: 200 } } }))).data;
const readWorkOrders = async () => (await unwrap(api.GET('/v1/work-orders', { params: { query: { limit: 200 } } }))).data;

/** The alarms the caller may see, newest id last as the API pages them. */
export function AlarmsPage({ session }: { readonly session: Session }) {
  const { t, dateTime } = useI18n();
  const { message } = App.useApp();
  const [acknowledging, setAcknowledging] = useState<Alarm | undefined>();
  const [shelving, setShelving] = useState<Alarm | undefined>();
  // Shelving is the supervisor's, for an active alarm that is not critical (the API refuses the rest with a code).
  const mayShelve = (alarm: Alarm) => session.org === 'custodian' && session.role === 'supervisor' && alarm.state === 'ACTIVE' && alarm.severity !== 'critical' && alarm.shelved === null;
  // Acknowledging is the custodian's clerks' and supervisors' (POST /v1/alarms/{id}/acknowledgement).
  const mayAcknowledge = session.org === 'custodian' && (session.role === 'clerk' || session.role === 'supervisor');
  const { rows, error, load } = useList<Alarm>(readAlarms, ['alarm.raised', 'alarm.cleared', 'alarm.withdrawn', 'alarm.acknowledged', 'alarm.shelved']);
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
          {
            title: t('alarms.acknowledged'),
            key: 'ack',
            render: (_: unknown, alarm) => (
              <Space wrap>
                {alarm.acknowledged || !mayAcknowledge ? (
                  alarm.acknowledged ? t('alarms.yes') : t('alarms.no')
                ) : (
                  <Button size="small" onClick={() => setAcknowledging(alarm)} data-testid={`acknowledge-${alarm.id}`}>
                    {t('alarms.acknowledge')}
                  </Button>
                )}
                {mayShelve(alarm) && (
                  <Button size="small" onClick={() => setShelving(alarm)} data-testid={`shelve-${alarm.id}`}>
                    {t('alarms.shelve')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      {acknowledging !== undefined && (
        <FormModal
          title={`${t('alarms.acknowledge')} · ${acknowledging.id}`}
          fields={[noteField(false)]}
          onClose={() => setAcknowledging(undefined)}
          onSubmit={async (values, key) => {
            const note = optionalText(values.note);
            await unwrap(api.POST('/v1/alarms/{id}/acknowledgement', { params: { path: { id: acknowledging.id }, header: { 'Idempotency-Key': key } }, body: note === undefined ? {} : { note } }));
            void message.success(t('alarms.acknowledged'));
            load();
          }}
        />
      )}
      {shelving !== undefined && (
        <FormModal
          title={`${t('alarms.shelve')} · ${shelving.id}`}
          fields={[
            { name: 'hours', label: 'alarms.hours', kind: 'hours', required: true },
            { name: 'reason', label: 'field.reason', kind: 'text', required: false },
          ]}
          onClose={() => setShelving(undefined)}
          onSubmit={async (values, key) => {
            const reason = optionalText(values.reason);
            const forMs = Number(values.hours) * 3_600_000;
            await unwrap(api.POST('/v1/alarms/{id}/shelving', { params: { path: { id: shelving.id }, header: { 'Idempotency-Key': key } }, body: { forMs, ...(reason === undefined ? {} : { reason }) } }));
            void message.success(t('alarms.shelved'));
            load();
          }}
        />
      )}
    </Space>
  );
}

/** The work orders the caller may see, with their SLA clocks as the server keeps them. */
export function WorkOrdersPage({ session }: { readonly session: Session }) {
  const { t, dateTime } = useI18n();
  const { message } = App.useApp();
  const [acting, setActing] = useState<{ order: WorkOrder; name: TransitionName } | undefined>();
  const { rows, error, load } = useList<WorkOrder>(readWorkOrders, ['work-order.created', 'work-order.assigned', 'work-order.started', 'work-order.waiting', 'work-order.resolved', 'work-order.closed', 'work-order.reopened', 'work-order.escalated']);
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
          {
            title: t('receipt.actions'),
            key: 'actions',
            render: (_: unknown, order) => (
              <Space wrap>
                {allowedTransitions(order, session).map((name) => (
                  <Button key={name} size="small" onClick={() => setActing({ order, name })} data-testid={`wo-${order.id}-${name}`}>
                    {t(`workOrders.tx.${name}`)}
                  </Button>
                ))}
              </Space>
            ),
          },
        ]}
      />
      {acting !== undefined && (
        <FormModal
          title={`${t(`workOrders.tx.${acting.name}`)} · ${acting.order.id}`}
          fields={transitionFields[acting.name]}
          onClose={() => setActing(undefined)}
          onSubmit={async (values, key) => {
            const note = optionalText(values.note);
            const assignee = optionalText(values.assignee);
            const body = { ...(note === undefined ? {} : { note }), ...(assignee === undefined ? {} : { assignee }) };
            const params = { params: { path: { id: acting.order.id }, header: { 'Idempotency-Key': key } } };
            const call = {
              assignment: () => api.POST('/v1/work-orders/{id}/assignment', { ...params, body: { assignee: assignee ?? '', ...(note === undefined ? {} : { note }) } }),
              start: () => api.POST('/v1/work-orders/{id}/start', { ...params, body }),
              waiting: () => api.POST('/v1/work-orders/{id}/waiting', { ...params, body: { note: note ?? '' } }),
              resolution: () => api.POST('/v1/work-orders/{id}/resolution', { ...params, body: { note: note ?? '' } }),
              closure: () => api.POST('/v1/work-orders/{id}/closure', { ...params, body }),
              reopening: () => api.POST('/v1/work-orders/{id}/reopening', { ...params, body: { note: note ?? '', ...(assignee === undefined ? {} : { assignee }) } }),
            }[acting.name];
            const updated = (await unwrap(call())).data;
            void message.success(t('workOrders.done', { id: updated.id, state: updated.state }));
            load();
          }}
        />
      )}
    </Space>
  );
}
