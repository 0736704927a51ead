import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useMemo } from 'react';
import type { components } from '../api/schema';
import { useI18n } from '../i18n';
import { useChart } from './use-chart';

// Only what this chart draws: ECharts' core and one chart type, in a chunk of its own that the console loads lazily.
echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer]);

type Series = components['schemas']['ReadingSeries'];

/** A downsampled series as a band between each slot's min and max, with the mean through it. */
export default function SeriesChart({ series, title }: { readonly series: Series; readonly title: string }) {
  const { t } = useI18n();
  const option = useMemo(() => {
    const time = (start: string) => new Date(start).getTime();
    return {
      animation: false,
      aria: { enabled: true, label: { description: title } },
      tooltip: { trigger: 'axis' },
      legend: { data: [t('series.max'), t('series.avg'), t('series.min')] },
      grid: { left: 48, right: 24, top: 40, bottom: 56 },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', scale: true },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 20, bottom: 8 }],
      series: [
        { name: t('series.max'), type: 'line', showSymbol: false, lineStyle: { width: 1 }, color: '#c0392b', data: series.buckets.map((b) => [time(b.start), b.max]) },
        { name: t('series.avg'), type: 'line', showSymbol: false, lineStyle: { width: 2 }, color: '#1f5fa8', data: series.buckets.map((b) => [time(b.start), b.avg]) },
        { name: t('series.min'), type: 'line', showSymbol: false, lineStyle: { width: 1 }, color: '#2e7d32', data: series.buckets.map((b) => [time(b.start), b.min]) },
      ],
    };
  }, [series, title, t]);
  const element = useChart(option);
  return <div ref={element} role="img" aria-label={title} style={{ width: '100%', height: 360 }} data-testid="series-chart" />;
}
