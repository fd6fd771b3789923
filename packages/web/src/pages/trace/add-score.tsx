/**
 * "Score" on a trace: a judgement from the dashboard (POST /api/scores, source "api", attributed
 * to the signed-in key). With a score config of that name, the value control follows it (range,
 * categories, boolean) and the server checks it; otherwise a number, true/false or text.
 */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api';
import { ErrorMessage } from '../../ui/feedback';

interface ScoreConfig {
  id: string;
  name: string;
  data_type: 'NUMERIC' | 'CATEGORICAL' | 'BOOLEAN' | 'TEXT';
  min?: number | null;
  max?: number | null;
  categories?: { label: string; value: number }[] | null;
}

function parseValue(raw: string, config: ScoreConfig | undefined): number | string | boolean {
  const t = raw.trim();
  if (config?.data_type === 'BOOLEAN' || (!config && (t === 'true' || t === 'false'))) return t === 'true';
  if (config?.data_type === 'NUMERIC' || (!config && t !== '' && Number.isFinite(Number(t)))) return Number(t);
  return t;
}

export function AddScore({ traceId }: { traceId: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const [comment, setComment] = useState('');
  const configs = useQuery({ queryKey: ['score-configs'], queryFn: () => api<{ data: ScoreConfig[] }>('/api/score-configs'), enabled: open });
  const config = configs.data?.data.find((c) => c.name === name);
  const save = useMutation({
    mutationFn: () =>
      api('/api/scores', {
        method: 'POST',
        json: { trace_id: traceId, name: name.trim(), value: parseValue(value, config), ...(config ? { config_id: config.id } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) },
      }),
    onSuccess: () => {
      setValue('');
      setComment('');
      void qc.invalidateQueries({ queryKey: ['scores', 'trace', traceId] });
    },
  });
  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Score
      </button>
    );
  return (
    <form
      className="add-score"
      aria-label="Add a score"
      onSubmit={(e) => {
        e.preventDefault();
        if (name.trim() && value.trim()) save.mutate();
      }}
    >
      <label className="inline">
        Name{' '}
        <input list="score-config-names" value={name} onChange={(e) => setName(e.target.value)} placeholder="helpfulness" required />
        <datalist id="score-config-names">
          {configs.data?.data.map((c) => <option key={c.id} value={c.name} />)}
        </datalist>
      </label>{' '}
      <label className="inline">
        Value{' '}
        {config?.data_type === 'BOOLEAN' ? (
          <select value={value} onChange={(e) => setValue(e.target.value)} required>
            <option value="">—</option>
            <option value="true">true</option>
            <option value="false">false</option>
          </select>
        ) : config?.data_type === 'CATEGORICAL' && config.categories ? (
          <select value={value} onChange={(e) => setValue(e.target.value)} required>
            <option value="">—</option>
            {config.categories.map((c) => (
              <option key={c.label} value={c.label}>
                {c.label}
              </option>
            ))}
          </select>
        ) : (
          <input
            value={value}
            onChange={(e) => setValue(e.target.value)}
            inputMode={config?.data_type === 'NUMERIC' ? 'decimal' : undefined}
            placeholder={config?.data_type === 'NUMERIC' ? `${config.min ?? ''}–${config.max ?? ''}` : '1, true or text'}
            required
          />
        )}
      </label>{' '}
      <label className="inline">
        Comment <input value={comment} onChange={(e) => setComment(e.target.value)} />
      </label>{' '}
      <button type="submit" disabled={save.isPending}>
        Save score
      </button>
      {save.isSuccess && <span role="status"> Saved.</span>}
      {save.error && <ErrorMessage error={save.error} title="The score was not saved" />}
    </form>
  );
}
