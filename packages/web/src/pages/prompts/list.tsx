/** Prompts: every prompt of the registry with its newest version, labels and last change. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, qs } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtTime } from '../../ui/format';
import { Pager, useCursor } from '../../ui/pager';
import { promptHref, type PromptSummary } from './types';
import './prompts.css';

export default function PromptsPage() {
  const pg = useCursor(50);
  const path = `/api/prompts${qs({ limit: pg.limit, cursor: pg.cursor })}`;
  const list = useQuery({ queryKey: ['prompts', path], queryFn: () => api<{ data: PromptSummary[]; next_cursor: string | null }>(path), placeholderData: keepPreviousData });
  return (
    <div className="prompts-page">
      <h1>Prompts</h1>
      {list.error ? (
        <ErrorMessage error={list.error} title="Prompts could not be loaded" />
      ) : !list.data ? (
        <Loading what="Loading prompts" />
      ) : list.data.data.length === 0 && !pg.cursor ? (
        <EmptyState title="No prompts yet">
          <p>
            Create a version with <code>assay prompt create</code> or <code>POST /api/prompts</code> (<code>{'{"name": "support/answer", "prompt": [{"role": "system", "content": "…{{topic}}"}]}'}</code>); see docs/prompts.md.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Prompts">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th className="num">Latest version</th>
                  <th>Labels</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((p) => (
                  <tr key={p.name}>
                    <td>
                      <Link href={promptHref(p.name)}>{p.name}</Link>
                      {p.tags.map((t) => (
                        <span key={t} className="badge tag">
                          {t}
                        </span>
                      ))}
                    </td>
                    <td>{p.type}</td>
                    <td className="num">v{p.latest_version}</td>
                    <td>
                      <Labels labels={Object.entries(p.labels).map(([l, v]) => `${l} → v${v}`)} />
                    </td>
                    <td>{fmtTime(p.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pg={pg} nextCursor={list.data.next_cursor} count={list.data.data.length} what="prompts" busy={list.isFetching} />
        </>
      )}
    </div>
  );
}

export function Labels({ labels }: { labels: string[] }) {
  if (labels.length === 0) return <span className="muted">—</span>;
  return (
    <span className="labels">
      {labels.map((l) => (
        <span key={l} className={`badge label${l.startsWith('production') ? ' ok' : ''}`}>
          {l}
        </span>
      ))}
    </span>
  );
}
