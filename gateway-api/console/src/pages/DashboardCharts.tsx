import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useMemo } from 'react';
import { useChart } from './use-chart';

echarts.use([BarChart, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export interface Stacked {
  /** Categories along the axis. */
  readonly categories: readonly string[];
  /** One stacked series per name, a value per category. */
  readonly series: readonly { readonly name: string; readonly values: readonly number[]; readonly colour?: string }[];
}

/** A stacked bar chart, drawn on a canvas; its figures are also in the table beside it for screen readers. */
export default function StackedBars({ data, title, horizontal = false, testId }: { readonly data: Stacked; readonly title: string; readonly horizontal?: boolean; readonly testId: string }) {
  const option = useMemo(() => {
    const category = { type: 'category' as const, data: [...data.categories] };
    const value = { type: 'value' as const };
    return {
      animation: false,
      aria: { enabled: true, label: { description: title } },
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: horizontal ? 140 : 48, right: 24, top: 36, bottom: 32 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: data.series.map((each) => ({ name: each.name, type: 'bar', stack: 'total', data: [...each.values], ...(each.colour ? { color: each.colour } : {}) })),
    };
  }, [data, title, horizontal]);
  const element = useChart(option);
  return <div ref={element} role="img" aria-label={title} style={{ width: '100%', height: 300 }} data-testid={testId} />;
}
