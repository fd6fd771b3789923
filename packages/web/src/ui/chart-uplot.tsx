/** The uPlot half of ui/chart.tsx, loaded lazily. Redraws on data, size and theme changes. */
import { useEffect, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { CHART_COLORS, type TimeChartProps } from './chart';

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** Bumps when the theme changes (the shell's data-theme attribute or the system preference). */
function useThemeVersion(): number {
  const [v, setV] = useState(0);
  useEffect(() => {
    const bump = () => setV((x) => x + 1);
    const mo = new MutationObserver(bump);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    mq.addEventListener('change', bump);
    return () => {
      mo.disconnect();
      mq.removeEventListener('change', bump);
    };
  }, []);
  return v;
}

const INT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9];

export default function UPlotChart({ x, series, format, integer, height = 160 }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useThemeVersion();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--muted', '#5b6470');
    const grid = cssVar('--border', '#d8dce2');
    const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : format ? format(v) : String(v));
    const axis: uPlot.Axis = {
      stroke: fg,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
      font: '11px system-ui, sans-serif',
    };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      ms: 1,
      cursor: { drag: { x: false, y: false } },
      legend: { show: true, live: true },
      scales: { y: { range: (_u, min, max) => [Math.min(0, min ?? 0), max && max > 0 ? max * 1.1 : 1] } },
      series: [
        { value: (_u, v) => (v === null ? '—' : new Date(v).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: CHART_COLORS[i % CHART_COLORS.length],
          width: 1.5,
          // Sparse data (a few calls in a long window, empty buckets null) would be invisible as a line: show its points.
          points: { size: 5, show: s.values.filter((v) => v !== null).length <= 40, fill: CHART_COLORS[i % CHART_COLORS.length] },
          value: (_u: uPlot, v: number | null) => fmt(v),
        })),
      ],
      axes: [
        { ...axis },
        {
          ...axis,
          ...(integer ? { incrs: INT_INCRS } : {}),
          size: (_u, values) => 14 + 7 * Math.max(2, ...(values ?? []).map((v) => String(v).length)),
          values: (_u, splits) => splits.map((v) => fmt(v)),
        },
      ],
    };
    const data = [x, ...series.map((s) => s.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== plot.width) plot.setSize({ width: w, height });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, series, format, integer, height, theme]);

  return <div ref={box} className="chart-box" aria-hidden="true" />;
}
