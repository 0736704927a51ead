import { Card, Empty, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useEffect, useState } from 'react';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useI18n } from '../i18n';
import { ProblemAlert } from './Problem';
import { tone } from './tags';

type Device = components['schemas']['Device'];
type Series = components['schemas']['ReadingSeries'];

// ECharts is loaded only when a chart is shown: the console's first load does not carry it.
const SeriesChart = lazy(() => import('./SeriesChart'));

const ranges = { day: 1, week: 7, month: 30 } as const;
type Range = keyof typeof ranges;
/** As many slots as a chart is wide in pixels, about: the server never sends more. */
const BUCKETS = 600;

/** The warehouse's devices, and the readings of one as a chart downsampled on the server. */
export function DevicesPage() {
  const { t, dateTime } = useI18n();
  const [devices, setDevices] = useState<Device[]>([]);
  const [selected, setSelected] = useState<Device | undefined>();
  const [kind, setKind] = useState('temperature');
  const [range, setRange] = useState<Range>('day');
  const [series, setSeries] = useState<Series | undefined>();
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    unwrap(api.GET('/v1/devices', { params: { query: { limit: 200 } } })).then(
      (page) => setDevices(page.data),
      (failure: unknown) => setError(failure),
    );
  }, []);
  useEffect(() => {
    if (selected === undefined) return;
    const to = new Date();
    const from = new Date(to.getTime() - ranges[range] * 86_400_000);
    setSeries(undefined);
    unwrap(api.GET('/v1/devices/{id}/series', { params: { path: { id: selected.id }, query: { kind, from: from.toISOString(), to: to.toISOString(), buckets: BUCKETS } } })).then(
      (reply) => setSeries(reply.data),
      (failure: unknown) => setError(failure),
    );
  }, [selected, kind, range]);

  const count = series?.buckets.reduce((sum, bucket) => sum + bucket.count, 0) ?? 0;
  const title = selected === undefined ? '' : t('devices.chart', { kind, id: selected.id });
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={2} style={{ margin: 0 }}>
        {t('devices.title')}
      </Typography.Title>
      {error !== undefined && <ProblemAlert error={error} />}
      <Table<Device>
        rowKey="id"
        data-testid="devices-table"
        size="middle"
        dataSource={devices}
        pagination={false}
        locale={{ emptyText: <Empty description={t('devices.empty')} /> }}
        onRow={(device) => ({ onClick: () => (setSelected(device), setKind(device.kind)), style: { cursor: 'pointer' } })}
        columns={[
          {
            title: t('field.id'),
            dataIndex: 'id',
            render: (id: string, device) => (
              <Typography.Link onClick={() => (setSelected(device), setKind(device.kind))} data-testid={`device-${id}`}>
                {id}
              </Typography.Link>
            ),
          },
          { title: t('field.warehouseId'), dataIndex: 'warehouseId' },
          { title: t('devices.kind'), dataIndex: 'kind' },
          { title: t('field.algorithm'), dataIndex: 'algorithm' },
          { title: t('field.location'), key: 'location', render: (_: unknown, device) => device.placement?.location ?? device.placement?.lotId ?? t('field.none') },
          { title: t('field.status'), key: 'active', render: (_: unknown, device) => <Tag style={tone[device.active ? 'green' : 'neutral']}>{t(device.active ? 'devices.active' : 'devices.inactive')}</Tag> },
          { title: t('field.updatedAt'), key: 'createdAt', render: (_: unknown, device) => dateTime(device.createdAt) },
        ]}
      />
      {selected !== undefined && (
        <Card
          title={<h3 style={{ margin: 0, fontSize: 16 }}>{title}</h3>}
          extra={
            <Space wrap>
              <Select aria-label={t('devices.kind')} value={kind} style={{ width: 160 }} onChange={setKind} options={['temperature', 'humidity', 'weight', 'door'].map((value) => ({ value, label: value }))} />
              <Select
                aria-label={t('devices.range')}
                value={range}
                style={{ width: 160 }}
                onChange={(value: Range) => setRange(value)}
                options={(Object.keys(ranges) as Range[]).map((value) => ({ value, label: t(`devices.range.${value}`) }))}
              />
            </Space>
          }
        >
          {series === undefined ? (
            <Spin />
          ) : series.buckets.length === 0 ? (
            <Empty description={t('devices.noReadings')} />
          ) : (
            <>
              <Typography.Paragraph type="secondary" data-testid="series-summary" data-count={count} data-buckets={series.buckets.length}>
                {t('devices.summary', { count, buckets: series.buckets.length, seconds: series.bucketSeconds })}
              </Typography.Paragraph>
              <Suspense fallback={<Spin />}>
                <SeriesChart series={series} title={title} />
              </Suspense>
            </>
          )}
        </Card>
      )}
    </Space>
  );
}
