import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useMemo } from 'react';
import { useChart } from './use-chart';

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, CanvasRenderer]);

/** A line over time, with the loan's warning and liquidation lines drawn across it when given. */
export interface TimeLine {
  readonly name: string;
  readonly points: readonly (readonly [string, number])[];
  readonly lines?: readonly { readonly name: string; readonly value: number; readonly colour: string }[];
}

/** A line chart over time, drawn on a canvas; its figures are also in the table beside it for screen readers. */
export default function TimeLineChart({ data, title, testId }: { readonly data: TimeLine; readonly title: string; readonly testId: string }) {
  const option = useMemo(
    () => ({
      animation: false,
      aria: { enabled: true, label: { description: title } },
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 56, right: 96, top: 36, bottom: 32 },
      xAxis: { type: 'time' as const },
      yAxis: { type: 'value' as const, scale: true },
      series: [
        {
          name: data.name,
          type: 'line',
          step: 'end',
          data: data.points.map(([at, value]) => [at, value]),
          markLine: {
            symbol: 'none',
            data: (data.lines ?? []).map((line) => ({ name: line.name, yAxis: line.value, lineStyle: { color: line.colour, type: 'dashed' }, label: { formatter: `${line.name} ${line.value.toString()}`, position: 'end' } })),
          },
        },
      ],
    }),
    [data, title],
  );
  const element = useChart(option);
  return <div ref={element} role="img" aria-label={title} style={{ width: '100%', height: 280 }} data-testid={testId} />;
}
