/**
 * One queue: progress per annotator, agreement per question (α with its band, κ per annotator
 * pair), disagreements with adjudication, and for admins adding items and promoting to a dataset.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ApiError, api } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtInt } from '../../ui/format';
import { adjudicationValue, fmtCoef, queueHref, queuePath, safeDecode, showValue, type Disagreement, type Progress, type Queue, type QuestionAgreement } from './types';
import './queues.css';

export default function QueuePage({ params }: { params: Record<string, string | undefined> }) {
  const id = safeDecode(params.id ?? '');
  const q = useQuery({ queryKey: ['queue', id], queryFn: () => api<Queue>(queuePath(id)) });
  return (
    <div className="queues-page">
      <p className="crumbs">
        <Link href="/queues">← Queues</Link>
      </p>
      {q.error ? (
        q.error instanceof ApiError && q.error.status === 404 ? (
          <EmptyState title="Queue not found">
            <p>{q.error.message}</p>
          </EmptyState>
        ) : (
          <ErrorMessage error={q.error} title="The queue could not be loaded" />
        )
      ) : !q.data ? (
        <Loading what="Loading queue" />
      ) : (
        <QueueBody q={q.data} />
      )}
    </div>
  );
}

function QueueBody({ q }: { q: Queue }) {
  const key = useSessionKey();
  const admin = hasScope(key, 'admin');
  const progress = useQuery({ queryKey: ['queue-progress', q.id], queryFn: () => api<Progress>(`${queuePath(q.id)}/progress`) });
  const agreement = useQuery({ queryKey: ['queue-agreement', q.id], queryFn: () => api<{ annotators: Record<string, string | null>; questions: QuestionAgreement[] }>(`${queuePath(q.id)}/agreement`) });
  const names = agreement.data?.annotators ?? {};
  const nameOf = (k: string) => names[k] ?? k;
  return (
    <>
      <h1>{q.name}</h1>
      <p className="muted small">
        {q.questions.length} questions · overlap {q.overlap} · {q.annotators ? `${q.annotators.length} annotators` : 'any key with read scope may annotate'}
        {q.description && <> · {q.description}</>}
      </p>
      <p className="links">
        <Link href={`${queueHref(q.id)}/annotate`}>Annotate →</Link>
        {admin && <Link href={`${queueHref(q.id)}/export`}>Export training data</Link>}
      </p>

      <section aria-label="Progress">
        <h2>Progress</h2>
        {progress.error ? (
          <ErrorMessage error={progress.error} />
        ) : !progress.data ? (
          <Loading />
        ) : (
          <>
            <p>
              {fmtInt(progress.data.complete)} of {fmtInt(progress.data.items)} items complete · {fmtInt(progress.data.remaining)} remaining
            </p>
            {progress.data.annotators.length > 0 && (
              <table aria-label="Annotators">
                <thead>
                  <tr>
                    <th>Annotator</th>
                    <th className="num">Done</th>
                    <th className="num">Reserved</th>
                  </tr>
                </thead>
                <tbody>
                  {progress.data.annotators.map((a) => (
                    <tr key={a.id}>
                      <td>{a.name ?? a.id}</td>
                      <td className="num">{a.done}</td>
                      <td className="num">{a.assigned}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </section>

      <section aria-label="Agreement">
        <h2>Agreement</h2>
        {agreement.error ? (
          <ErrorMessage error={agreement.error} />
        ) : !agreement.data ? (
          <Loading />
        ) : (
          <table aria-label="Agreement per question">
            <thead>
              <tr>
                <th>Question</th>
                <th>Level</th>
                <th className="num">Items</th>
                <th className="num">α</th>
                <th>Band</th>
                <th>κ per annotator pair</th>
              </tr>
            </thead>
            <tbody>
              {agreement.data.questions.map((a) => (
                <tr key={a.question}>
                  <td>
                    {a.question} <span className="muted small">({a.kind})</span>
                  </td>
                  <td>{a.level ?? '—'}</td>
                  <td className="num">{a.report?.items ?? '—'}</td>
                  <td className="num">{fmtCoef(a.report?.alpha.alpha)}</td>
                  <td title={a.report?.interpretation}>
                    {a.report ? (
                      <>
                        {a.report.alpha.interpretation.band}
                        {a.report.alpha.interpretation.range && <span className="muted small"> ({a.report.alpha.interpretation.range})</span>}
                      </>
                    ) : (
                      <span className="muted small">{a.reason}</span>
                    )}
                  </td>
                  <td className="small">
                    {a.report?.pairs.length
                      ? a.report.pairs.map((p) => (
                          <div key={`${p.a}-${p.b}`}>
                            {nameOf(p.a)} × {nameOf(p.b)}: κ {fmtCoef(p.kappa)} ({p.interpretation.band}, n={p.n})
                          </div>
                        ))
                      : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <Disagreements q={q} admin={admin} />
      {admin && <AddItems q={q} />}
      {admin && <Promote q={q} />}
    </>
  );
}

function Disagreements({ q, admin }: { q: Queue; admin: boolean }) {
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['queue-disagreements', q.id], queryFn: () => api<{ data: Disagreement[] }>(`${queuePath(q.id)}/disagreements`) });
  const adj = useMutation({
    mutationFn: (v: { item: string; question: string; value: unknown }) =>
      api(`${queuePath(q.id)}/items/${encodeURIComponent(v.item)}/adjudicate`, { method: 'POST', json: { question: v.question, value: v.value } }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['queue-disagreements', q.id] });
      void qc.invalidateQueries({ queryKey: ['queue-agreement', q.id] });
    },
  });
  return (
    <section aria-label="Disagreements">
      <h2>Disagreements</h2>
      {list.error ? (
        <ErrorMessage error={list.error} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.data.length === 0 ? (
        <p className="muted">No open disagreements.</p>
      ) : (
        <table aria-label="Disagreements">
          <thead>
            <tr>
              <th>Item</th>
              <th>Question</th>
              <th>Answers</th>
            </tr>
          </thead>
          <tbody>
            {list.data.data.map((d) => {
              const question = q.questions.find((x) => x.id === d.question);
              return (
                <tr key={`${d.item_id}-${d.question}`}>
                  <td className="mono small">{d.item_id}</td>
                  <td>{d.question}</td>
                  <td>
                    {d.values.map((v) => (
                      <div key={v.annotator}>
                        {v.annotator_name ?? v.annotator}: <strong>{showValue(v.value).slice(0, 200)}</strong>{' '}
                        {admin && (
                          <button type="button" className="small" disabled={adj.isPending} onClick={() => adj.mutate({ item: d.item_id, question: d.question, value: adjudicationValue(question, v.value) })}>
                            Adjudicate to this
                          </button>
                        )}
                      </div>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {adj.error && <ErrorMessage error={adj.error} title="Not adjudicated" />}
    </section>
  );
}

function AddItems({ q }: { q: Queue }) {
  const qc = useQueryClient();
  const [traces, setTraces] = useState('');
  const [filter, setFilter] = useState({ model: '', route: '', tag: '', limit: '100' });
  const add = useMutation({
    mutationFn: (body: unknown) => api<{ added: number; duplicates: number; skipped: { source: unknown; reason: string }[] }>(`${queuePath(q.id)}/items`, { method: 'POST', json: body }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['queue-progress', q.id] });
      void qc.invalidateQueries({ queryKey: ['queue-next', q.id] });
    },
  });
  const byIds = (e: FormEvent) => {
    e.preventDefault();
    add.mutate({ traces: traces.split(/[\s,]+/).filter(Boolean) });
  };
  const byFilter = (e: FormEvent) => {
    e.preventDefault();
    const f: Record<string, unknown> = { limit: Number(filter.limit) || 100 };
    for (const k of ['model', 'route', 'tag'] as const) if (filter[k].trim()) f[k] = filter[k].trim();
    add.mutate({ filter: f });
  };
  return (
    <section aria-label="Add items">
      <h2>Add items</h2>
      <form className="row" aria-label="Add traces by id" onSubmit={byIds}>
        <label className="grow">
          Trace ids <input value={traces} onChange={(e) => setTraces(e.target.value)} placeholder="space- or comma-separated" required />
        </label>
        <button type="submit" disabled={add.isPending}>
          Add traces
        </button>
      </form>
      <form className="row" aria-label="Add by filter" onSubmit={byFilter}>
        {(['model', 'route', 'tag'] as const).map((k) => (
          <label key={k}>
            {k[0].toUpperCase() + k.slice(1)} <input value={filter[k]} onChange={(e) => setFilter((f) => ({ ...f, [k]: e.target.value }))} />
          </label>
        ))}
        <label>
          Limit <input type="number" min={1} max={5000} className="narrow" value={filter.limit} onChange={(e) => setFilter((f) => ({ ...f, limit: e.target.value }))} />
        </label>
        <button type="submit" disabled={add.isPending}>
          Add matching traces
        </button>
      </form>
      {add.error && <ErrorMessage error={add.error} title="No items added" />}
      {add.data && (
        <div role="status">
          <p className="ok-text">
            {add.data.added} added, {add.data.duplicates} already there, {add.data.skipped.length} skipped
          </p>
          {add.data.skipped.length > 0 && (
            <ul className="small">
              {add.data.skipped.slice(0, 20).map((s, i) => (
                <li key={i}>
                  {JSON.stringify(s.source)}: {s.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}

function Promote({ q }: { q: Queue }) {
  const [dataset, setDataset] = useState('');
  const [question, setQuestion] = useState('');
  const [minAgreement, setMinAgreement] = useState('');
  const promote = useMutation({
    mutationFn: () =>
      api<Record<string, unknown>>(`${queuePath(q.id)}/promote`, {
        method: 'POST',
        json: { dataset: dataset.trim(), ...(question ? { question } : {}), ...(minAgreement !== '' ? { min_agreement: Number(minAgreement) } : {}) },
      }),
  });
  return (
    <section aria-label="Promote to dataset">
      <h2>Promote to a dataset</h2>
      <form
        className="row"
        aria-label="Promote"
        onSubmit={(e) => {
          e.preventDefault();
          promote.mutate();
        }}
      >
        <label>
          Dataset <input value={dataset} onChange={(e) => setDataset(e.target.value)} required placeholder="support-golden" />
        </label>
        <label>
          Question
          <select value={question} onChange={(e) => setQuestion(e.target.value)}>
            <option value="">default (first correction, else pairwise)</option>
            {q.questions.map((x) => (
              <option key={x.id} value={x.id}>
                {x.id} ({x.kind})
              </option>
            ))}
          </select>
        </label>
        <label>
          Min agreement <input type="number" min={0} max={1} step={0.05} className="narrow" value={minAgreement} onChange={(e) => setMinAgreement(e.target.value)} />
        </label>
        <button type="submit" disabled={promote.isPending}>
          Promote
        </button>
      </form>
      {promote.error && <ErrorMessage error={promote.error} title="Not promoted" />}
      {promote.data && (
        <p role="status" className="ok-text">
          Promoted: {JSON.stringify(promote.data).slice(0, 300)} — <Link href={`/datasets/${encodeURIComponent(dataset.trim())}`}>open the dataset</Link>
        </p>
      )}
    </section>
  );
}
