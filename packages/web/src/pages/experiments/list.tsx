/** Experiments: newest first with status and progress; refreshes while one is running. */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtTime } from '../../ui/format';
import { active, type ExperimentRow } from './types';
import './experiments.css';

export default function ExperimentsPage() {
  const list = useQuery({
    queryKey: ['experiments'],
    queryFn: () => api<{ data: ExperimentRow[] }>('/api/experiments?limit=200'),
    refetchInterval: (q) => (q.state.data?.data.some((e) => active(e.status)) ? 1500 : false),
  });
  return (
    <div className="experiments-page">
      <h1>Experiments</h1>
      {list.error ? (
        <ErrorMessage error={list.error} title="Experiments could not be loaded" />
      ) : !list.data ? (
        <Loading what="Loading experiments" />
      ) : list.data.data.length === 0 ? (
        <EmptyState title="No experiments yet">
          <p>
            Run one with <code>assay eval run</code> or <code>POST /api/experiments</code> (a dataset or inline items × variants × repeats); see docs/evals.md.
          </p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table aria-label="Experiments">
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Variants</th>
                <th>Dataset</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link href={`/experiments/${encodeURIComponent(e.id)}`}>{e.name}</Link>
                  </td>
                  <td>
                    <StatusBadge status={e.status} />
                  </td>
                  <td>
                    <Progress done={e.done} total={e.total} />
                  </td>
                  <td className="cell-variants">{e.variants.join(', ')}</td>
                  <td>{e.dataset ? `${e.dataset}${e.dataset_version !== null ? ` v${e.dataset_version}` : ''}` : <span className="muted">inline</span>}</td>
                  <td>{fmtTime(e.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const cls = status === 'done' ? 'ok' : status === 'failed' ? 'error' : status === 'cancelled' ? 'warn' : 'running';
  return <span className={`badge ${cls}`}>{status}</span>;
}

export function Progress({ done, total }: { done: number; total: number }) {
  return (
    <span className="progress">
      <progress value={done} max={Math.max(total, 1)} aria-label={`${done} of ${total} runs`} /> <span className="small">{done}/{total}</span>
    </span>
  );
}
