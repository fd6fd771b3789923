/**
 * "Add to dataset" on a trace: pick a dataset and whether the trace's output becomes the item's
 * expected answer, then POST /api/datasets/:name/items/from-traces. Admin keys only (a write).
 */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api';
import { ErrorMessage } from '../../ui/feedback';

interface DatasetRow {
  id: string;
  name: string;
  items: number;
}

export function AddToDataset({ traceId }: { traceId: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [expected, setExpected] = useState<'output' | 'none'>('output');
  const list = useQuery({ queryKey: ['datasets', 'picker'], queryFn: () => api<{ data: DatasetRow[] }>('/api/datasets?limit=500'), enabled: open });
  const chosen = name || list.data?.data[0]?.name || '';
  const add = useMutation({
    mutationFn: () =>
      api<{ version: number; added: number; updated: number; ids: string[] }>(`/api/datasets/${encodeURIComponent(chosen)}/items/from-traces`, {
        method: 'POST',
        json: { trace_ids: [traceId], expected_from: expected },
      }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['datasets'] });
      void qc.invalidateQueries({ queryKey: ['dataset', chosen] });
      void qc.invalidateQueries({ queryKey: ['dataset-items'] });
    },
  });

  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add to dataset
      </button>
    );
  return (
    <form
      className="add-to-dataset"
      aria-label="Add to dataset"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen) add.mutate();
      }}
    >
      {list.error ? (
        <ErrorMessage error={list.error} title="Datasets could not be loaded" />
      ) : list.data && list.data.data.length === 0 ? (
        <p className="small">
          No datasets yet: create one first (<code>assay dataset create &lt;name&gt;</code> or <code>POST /api/datasets</code>).
        </p>
      ) : (
        <>
          <label className="inline">
            Dataset{' '}
            <select value={chosen} onChange={(e) => setName(e.target.value)} disabled={!list.data}>
              {(list.data?.data ?? []).map((d) => (
                <option key={d.id} value={d.name}>
                  {d.name} ({d.items} items)
                </option>
              ))}
            </select>
          </label>
          <label className="inline">
            Expected{' '}
            <select value={expected} onChange={(e) => setExpected(e.target.value as 'output' | 'none')}>
              <option value="output">the trace’s output</option>
              <option value="none">none</option>
            </select>
          </label>
          <button type="submit" className="primary" disabled={!chosen || add.isPending}>
            Add
          </button>
        </>
      )}
      <button type="button" onClick={() => setOpen(false)}>
        Close
      </button>
      {add.data && (
        <p className="ok-text small" role="status">
          {add.data.added ? 'Added' : 'Updated'} as item <code>{add.data.ids[0]}</code> of{' '}
          <Link href={`/datasets/${encodeURIComponent(chosen)}`}>{chosen}</Link> (version {add.data.version}).
        </p>
      )}
      {add.error && <ErrorMessage error={add.error} title="The trace was not added" />}
    </form>
  );
}
