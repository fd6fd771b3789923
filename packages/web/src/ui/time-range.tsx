/**
 * A time range kept in the URL, so a view can be shared:
 *   ?range=1h                    a preset, relative to now (15m, 1h, 24h, 7d, 30d)
 *   ?from=<ms|ISO>&to=<ms|ISO>   a fixed window
 * Other query parameters are left alone.
 *
 *   const range = useTimeRange();            // { preset, from, to, … }
 *   <TimeRangePicker range={range} />
 *   api(`/api/metrics${qs({ from: range.from, to: range.to })}`)
 */
import { useCallback, useId, useMemo, useState, type FormEvent } from 'react';
import { useSearchParams } from 'wouter';
import './time-range.css';

export const RANGE_PRESETS = [
  { id: '15m', label: '15 min', ms: 15 * 60_000 },
  { id: '1h', label: '1 h', ms: 3_600_000 },
  { id: '24h', label: '24 h', ms: 86_400_000 },
  { id: '7d', label: '7 d', ms: 7 * 86_400_000 },
  { id: '30d', label: '30 d', ms: 30 * 86_400_000 },
] as const;

export type RangePreset = (typeof RANGE_PRESETS)[number]['id'];

export interface TimeRange {
  /** The preset in use, or null for a fixed from/to window. */
  preset: RangePreset | null;
  /** Epoch ms, from inclusive, to exclusive. */
  from: number;
  to: number;
  /** Switch to a preset (relative to now). */
  setPreset(p: RangePreset): void;
  /** Switch to a fixed window. */
  setWindow(from: number, to: number): void;
  /** Move a preset window to end now (no-op for a fixed window, whose data does not change). */
  refresh(): void;
}

function parseTime(v: string | null): number | null {
  if (!v) return null;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Number.isFinite(n) ? n : null;
}

function presetMs(id: string | null): number | null {
  return RANGE_PRESETS.find((p) => p.id === id)?.ms ?? null;
}

export function useTimeRange(defaultPreset: RangePreset = '24h'): TimeRange {
  const [params, setParams] = useSearchParams();
  const [now, setNow] = useState(() => Date.now());
  const qFrom = parseTime(params.get('from'));
  const qTo = parseTime(params.get('to'));
  const qRange = params.get('range');

  const fixed = qFrom !== null && qFrom < (qTo ?? Infinity) && !presetMs(qRange);
  const preset: RangePreset | null = fixed ? null : presetMs(qRange) ? (qRange as RangePreset) : defaultPreset;
  const from = fixed ? qFrom! : now - presetMs(preset)!;
  const to = fixed ? (qTo ?? now) : now;

  const setPreset = useCallback(
    (p: RangePreset) => {
      setNow(Date.now());
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.delete('from');
        next.delete('to');
        next.set('range', p);
        return next;
      });
    },
    [setParams],
  );
  const setWindow = useCallback(
    (f: number, t: number) => {
      setParams((prev) => {
        const next = new URLSearchParams(prev);
        next.delete('range');
        next.set('from', new Date(f).toISOString());
        next.set('to', new Date(t).toISOString());
        return next;
      });
    },
    [setParams],
  );
  const refresh = useCallback(() => setNow(Date.now()), []);
  return useMemo(() => ({ preset, from, to, setPreset, setWindow, refresh }), [preset, from, to, setPreset, setWindow, refresh]);
}

/** `YYYY-MM-DDTHH:mm` in local time, for <input type="datetime-local">. */
function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function fmtWhen(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Preset buttons, a custom from/to form and a refresh button. */
export function TimeRangePicker({ range, onRefresh }: { range: TimeRange; onRefresh?: () => void }) {
  const id = useId();
  const [custom, setCustom] = useState(false);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [error, setError] = useState<string | null>(null);

  const openCustom = () => {
    setFrom(toLocalInput(range.from));
    setTo(toLocalInput(range.to));
    setError(null);
    setCustom((c) => !c);
  };
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const f = Date.parse(from);
    const t = Date.parse(to);
    if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) {
      setError('“From” must be before “To”.');
      return;
    }
    setCustom(false);
    range.setWindow(f, t);
  };

  return (
    <div className="time-range">
      <div role="group" aria-label="Time range" className="segmented">
        {RANGE_PRESETS.map((p) => (
          <button key={p.id} type="button" aria-pressed={range.preset === p.id} onClick={() => range.setPreset(p.id)} title={`Last ${p.label}`}>
            {p.label}
          </button>
        ))}
        <button type="button" aria-pressed={range.preset === null} aria-expanded={custom} aria-controls={`${id}-custom`} onClick={openCustom}>
          Custom…
        </button>
      </div>
      <button
        type="button"
        aria-label="Refresh"
        title="Refresh"
        onClick={() => {
          range.refresh();
          onRefresh?.();
        }}
      >
        ↻
      </button>
      <span className="muted small" aria-live="polite">
        {fmtWhen(range.from)} – {range.preset ? 'now' : fmtWhen(range.to)}
      </span>
      {custom && (
        <form id={`${id}-custom`} className="time-range-custom" onSubmit={apply}>
          <div>
            <label htmlFor={`${id}-from`}>From</label>
            <input id={`${id}-from`} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} required />
          </div>
          <div>
            <label htmlFor={`${id}-to`}>To</label>
            <input id={`${id}-to`} type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} required />
          </div>
          <button type="submit" className="primary">
            Apply
          </button>
          {error && (
            <span role="alert" className="small" style={{ color: 'var(--bad)' }}>
              {error}
            </span>
          )}
        </form>
      )}
    </div>
  );
}
