/**
 * A time-series chart. The drawing library (uPlot, ~50 KB) is loaded on first use, so it is never
 * part of the first-paint bundle.
 *
 *   <TimeChart title="Requests" x={bucketStartsMs} series={[{ label: 'ok', values: [...] }]} format={fmtInt} />
 *
 * Values may be null (no data in that bucket: the line has a gap). Colors follow the theme. The
 * drawing is hidden from screen readers: show the same numbers in text (cards, a table) next to it.
 */
import { lazy, Suspense } from 'react';
import './chart.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface TimeChartProps {
  title: string;
  /** Bucket start times, epoch ms. */
  x: number[];
  series: ChartSeries[];
  /** Formats values on the y axis and in the legend. */
  format?: (v: number) => string;
  /** Counts: y-axis ticks on whole numbers only. */
  integer?: boolean;
  height?: number;
}

const Impl = lazy(() => import('./chart-uplot'));

/** Colors readable on light and dark backgrounds. */
export const CHART_COLORS = ['#4e79e6', '#e8743b', '#19a979', '#d6417c', '#9467bd', '#c9a227', '#13a4b4', '#8c564b'];

export function TimeChart(props: TimeChartProps) {
  const height = props.height ?? 160;
  return (
    <figure className="chart" aria-label={`${props.title} chart`}>
      <figcaption>{props.title}</figcaption>
      <Suspense fallback={<div className="chart-placeholder" style={{ height: height + 30 }} />}>
        <Impl {...props} height={height} />
      </Suspense>
    </figure>
  );
}
