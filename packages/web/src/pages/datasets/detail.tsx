/**
 * One dataset: its items at a version (`?version=`, the current one by default) a page at a time,
 * the version history in the selector, export links (JSONL, CSV) for the shown version, and an
 * import (a .jsonl or .csv file, appended or upserted; row errors are listed).
 */
import { useRef, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useSearchParams } from 'wouter';
import { ApiError, api, errorFrom, qs } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtInt, fmtTime } from '../../ui/format';
import { Pager, useCursor } from '../../ui/pager';
import { safeDecode } from '../prompts/types';
import { datasetPath, inputSummary, short, type Dataset, type DatasetItem, type DatasetVersion, type WriteResult } from './types';
import './datasets.css';

export default function DatasetPage({ params }: { params: Record<string, string | undefined> }) {
  const name = safeDecode(params.name ?? '');
  const ds = useQuery({ queryKey: ['dataset', name], queryFn: () => api<Dataset>(datasetPath(name)) });
  return (
    <div className="datasets-page">
      <p className="crumbs">
        <Link href="/datasets">← Datasets</Link>
      </p>
      {ds.error ? (
        ds.error instanceof ApiError && ds.error.status === 404 ? (
          <EmptyState title="Dataset not found">
            <p>{ds.error.message}</p>
          </EmptyState>
        ) : (
          <ErrorMessage error={ds.error} title="The dataset could not be loaded" />
        )
      ) : !ds.data ? (
        <Loading what="Loading dataset" />
      ) : (
        <DatasetBody d={ds.data} />
      )}
    </div>
  );
}

function DatasetBody({ d }: { d: Dataset }) {
  const key = useSessionKey();
  const [params, setParams] = useSearchParams();
  const pg = useCursor(100);
  const v = params.get('version');
  const version = v !== null && /^\d+$/.test(v) ? Number(v) : d.version;
  const versions = useQuery({ queryKey: ['dataset-versions', d.name, d.version], queryFn: () => api<{ data: DatasetVersion[] }>(`${datasetPath(d.name)}/versions`) });
  const path = `${datasetPath(d.name)}/items${qs({ version, limit: pg.limit, cursor: pg.cursor })}`;
  const items = useQuery({
    queryKey: ['dataset-items', path],
    queryFn: () => api<{ version: number; data: DatasetItem[]; next_cursor: string | null }>(path),
    placeholderData: keepPreviousData,
  });
  const setVersion = (x: string) =>
    setParams((prev) => {
      const next = new URLSearchParams(prev);
      if (Number(x) === d.version) next.delete('version');
      else next.set('version', x);
      next.delete('cursor');
      return next;
    });

  return (
    <>
      <h1>{d.name}</h1>
      <p className="muted small">
        {fmtInt(d.items)} items · version {d.version} · updated {fmtTime(d.updated_at)}
        {d.description && <> · {d.description}</>}
      </p>
      <div className="toolbar">
        <div>
          <label htmlFor="ds-version">Version</label>
          <select id="ds-version" value={version} onChange={(e) => setVersion(e.target.value)}>
            {(versions.data?.data ?? [{ version: d.version, origin: '', items: d.items, created_at: d.updated_at } as DatasetVersion])
              .slice()
              .sort((a, b) => b.version - a.version)
              .map((x) => (
                <option key={x.version} value={x.version}>
                  v{x.version}
                  {x.version === d.version ? ' (current)' : ''} · {x.items} items{x.origin ? ` · ${x.origin}` : ''}
                </option>
              ))}
          </select>
        </div>
        <div>
          <span className="small muted">Export v{version}: </span>
          <a href={`${datasetPath(d.name)}/export${qs({ format: 'jsonl', version })}`} download>
            JSONL
          </a>{' '}
          ·{' '}
          <a href={`${datasetPath(d.name)}/export${qs({ format: 'csv', version })}`} download>
            CSV
          </a>
        </div>
        {hasScope(key, 'admin') && <Import name={d.name} />}
      </div>
      {items.error ? (
        <ErrorMessage error={items.error} title="The items could not be loaded" />
      ) : !items.data ? (
        <Loading what="Loading items" />
      ) : items.data.data.length === 0 && !pg.cursor ? (
        <EmptyState title={`No items in version ${version}`}>
          <p>Import a JSONL or CSV file above, or open a trace and use “Add to dataset”.</p>
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table aria-label="Items">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Input</th>
                  <th>Expected</th>
                  <th className="num">Asserts</th>
                  <th>Source</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {items.data.data.map((it) => (
                  <tr key={it.id}>
                    <td>
                      <code>{it.id}</code>
                    </td>
                    <td className="cell-text" title={inputSummary(it.input)}>
                      {inputSummary(it.input)}
                    </td>
                    <td className="cell-text" title={short(it.expected, 2000)}>
                      {it.expected === null || it.expected === undefined ? <span className="muted">—</span> : short(it.expected)}
                    </td>
                    <td className="num" title={it.assert?.map((a) => a.type).join(', ')}>
                      {it.assert?.length ?? 0}
                    </td>
                    <td>{it.source ? <Link href={`/traces/${encodeURIComponent(it.source.trace_id)}`}>trace</Link> : <span className="muted">—</span>}</td>
                    <td>{fmtTime(it.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager pg={pg} nextCursor={items.data.next_cursor} count={items.data.data.length} what="items" busy={items.isFetching} />
        </>
      )}
    </>
  );
}

interface RowErr {
  line?: number;
  column?: string | null;
  message: string;
}

function Import({ name }: { name: string }) {
  const qc = useQueryClient();
  const file = useRef<HTMLInputElement>(null);
  const [mode, setMode] = useState('append');
  const [rowErrors, setRowErrors] = useState<RowErr[]>([]);
  const m = useMutation({
    mutationFn: async (f: File) => {
      setRowErrors([]);
      const format = /\.csv$/i.test(f.name) ? 'csv' : 'jsonl';
      const res = await fetch(`${datasetPath(name)}/import${qs({ mode, format })}`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': format === 'csv' ? 'text/csv' : 'application/x-ndjson' },
        body: f,
      });
      if (!res.ok) {
        const copy = res.clone();
        try {
          const body = (await copy.json()) as { error?: { errors?: RowErr[] } };
          setRowErrors(body.error?.errors ?? []);
        } catch {
          /* not JSON */
        }
        throw await errorFrom(res);
      }
      return (await res.json()) as WriteResult;
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['dataset', name] });
      void qc.invalidateQueries({ queryKey: ['dataset-items'] });
      if (file.current) file.current.value = '';
    },
  });

  return (
    <div className="import">
      <label htmlFor="ds-import">Import a .jsonl or .csv file</label>
      <input id="ds-import" type="file" accept=".jsonl,.ndjson,.json,.csv" ref={file} />{' '}
      <select aria-label="Import mode" value={mode} onChange={(e) => setMode(e.target.value)}>
        <option value="append">append</option>
        <option value="upsert">upsert</option>
        <option value="replace">replace</option>
      </select>{' '}
      <button
        type="button"
        disabled={m.isPending}
        onClick={() => {
          const f = file.current?.files?.[0];
          if (f) m.mutate(f);
        }}
      >
        Import
      </button>
      {m.data && (
        <span className="ok-text small" role="status">
          {' '}
          Imported: version {m.data.version}, {m.data.added} added, {m.data.updated} updated, {m.data.removed} removed
        </span>
      )}
      {m.error && <ErrorMessage error={m.error} title="The import failed; nothing was written" />}
      {rowErrors.length > 0 && (
        <ul className="small">
          {rowErrors.map((e, i) => (
            <li key={i}>
              {e.line !== undefined && <>line {e.line}</>}
              {e.column && <> · {e.column}</>}: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
