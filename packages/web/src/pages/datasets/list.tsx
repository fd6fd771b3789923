/** Datasets: each with its item count and current version. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, qs } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtInt, fmtTime } from '../../ui/format';
import { Pager, useCursor } from '../../ui/pager';
import { datasetHref, type Dataset } from './types';
import './datasets.css';

export default function DatasetsPage() {
  const pg = useCursor(50);
  const path = `/api/datasets${qs({ limit: pg.limit, cursor: pg.cursor })}`;
  const list = useQuery({ queryKey: ['datasets', path], queryFn: () => api<{ data: Dataset[]; next_cursor: string | null }>(path), placeholderData: keepPreviousData });
  return (
    <div className="datasets-page">
      <h1>Datasets</h1>
      {list.error ? (
        <ErrorMessage error={list.error} title="Datasets could not be loaded" />
      ) : !list.data ? (
        <Loading what="Loading datasets" />
      ) : list.data.data.length === 0 && !pg.cursor ? (
        <EmptyState title="No datasets yet">
          <p>
            Create one with <code>assay dataset create &lt;name&gt;</code> or <code>POST /api/datasets</code>, then import items (JSONL or CSV) or add
            traces from a trace’s page; see docs/datasets.md.
          </p>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Datasets">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Description</th>
                  <th className="num">Items</th>
                  <th className="num">Version</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.data.data.map((d) => (
                  <tr key={d.id}>
                    <td>
                      <Link href={datasetHref(d.name)}>{d.name}</Link>
                    </td>
                    <td className="cell-desc">{d.description ?? <span className="muted">—</span>}</td>
                    <td className="num">{fmtInt(d.items)}</td>
                    <td className="num">v{d.version}</td>
                    <td>{fmtTime(d.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pg={pg} nextCursor={list.data.next_cursor} count={list.data.data.length} what="datasets" busy={list.isFetching} />
        </>
      )}
    </div>
  );
}
