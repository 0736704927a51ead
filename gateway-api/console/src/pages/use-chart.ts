import * as echarts from 'echarts/core';
import { useEffect, useRef } from 'react';
import { useI18n } from '../i18n';

/**
 * An ECharts chart drawn on a canvas in the returned element with `option`, in the page's language, resized with the
 * window and disposed with the component. The caller registers the chart types and components it uses (echarts.use).
 */
export function useChart(option: echarts.EChartsCoreOption) {
  const { locale } = useI18n();
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (element.current === null) return;
    const chart = echarts.init(element.current, undefined, { renderer: 'canvas', locale: locale.startsWith('zh') ? 'ZH' : 'EN' });
    chart.setOption(option);
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [option, locale]);
  return element;
}
