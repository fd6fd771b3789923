/** Annotation queues: each with its questions and progress; admins create queues here. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation } from 'wouter';
import { api } from '../../api';
import { hasScope, useSessionKey } from '../../session';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtInt } from '../../ui/format';
import { KINDS, queueHref, queuePath, type Progress, type Question, type QuestionKind, type Queue } from './types';
import './queues.css';

export default function QueuesPage() {
  const key = useSessionKey();
  const admin = hasScope(key, 'admin');
  const list = useQuery({ queryKey: ['queues'], queryFn: () => api<{ data: Queue[] }>('/api/queues') });
  const progress = useQueries({
    queries: (list.data?.data ?? []).map((q) => ({ queryKey: ['queue-progress', q.id], queryFn: () => api<Progress>(`${queuePath(q.id)}/progress`) })),
  });
  return (
    <div className="queues-page">
      <h1>Annotation queues</h1>
      {list.error ? (
        <ErrorMessage error={list.error} title="Queues could not be loaded" />
      ) : !list.data ? (
        <Loading what="Loading queues" />
      ) : list.data.data.length === 0 ? (
        <EmptyState title="No queues yet">
          <p>{admin ? 'Create one below, then add traces or experiment outputs to it.' : 'An admin creates queues and adds you as an annotator; see docs/annotation.md.'}</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table aria-label="Queues">
            <thead>
              <tr>
                <th>Name</th>
                <th>Questions</th>
                <th className="num">Items</th>
                <th className="num">Complete</th>
                <th className="num">Remaining</th>
                <th className="num">Overlap</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {list.data.data.map((q, i) => {
                const p = progress[i]?.data;
                return (
                  <tr key={q.id}>
                    <td>
                      <Link href={queueHref(q.id)}>{q.name}</Link>
                    </td>
                    <td className="small">{q.questions.map((x) => `${x.id} (${x.kind})`).join(', ')}</td>
                    <td className="num">{p ? fmtInt(p.items) : '…'}</td>
                    <td className="num">{p ? fmtInt(p.complete) : '…'}</td>
                    <td className="num">{p ? fmtInt(p.remaining) : '…'}</td>
                    <td className="num">{q.overlap}</td>
                    <td>
                      <Link href={`${queueHref(q.id)}/annotate`}>Annotate</Link>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {admin && <CreateQueue />}
    </div>
  );
}

interface Draft {
  id: string;
  kind: QuestionKind;
  prompt: string;
  options: string;
  min: string;
  max: string;
  n: string;
  allowTie: boolean;
  strength: boolean;
}
const newDraft = (i: number): Draft => ({ id: `q${i + 1}`, kind: 'rating', prompt: '', options: '', min: '1', max: '5', n: '', allowTie: true, strength: false });

function toQuestion(d: Draft): Question {
  const base = { id: d.id.trim(), prompt: d.prompt.trim() };
  switch (d.kind) {
    case 'rating':
      return { ...base, kind: 'rating', min: Number(d.min), max: Number(d.max) };
    case 'categorical':
      return { ...base, kind: 'categorical', options: d.options.split(',').map((s) => s.trim()).filter(Boolean) };
    case 'pairwise':
      return { ...base, kind: 'pairwise', allow_tie: d.allowTie, strength: d.strength };
    case 'ranking':
      return d.n ? { ...base, kind: 'ranking', n: Number(d.n) } : { ...base, kind: 'ranking' };
    default:
      return { ...base, kind: d.kind };
  }
}

function CreateQueue() {
  const qc = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const [overlap, setOverlap] = useState('1');
  const [annotators, setAnnotators] = useState('');
  const [drafts, setDrafts] = useState<Draft[]>([newDraft(0)]);
  const set = (i: number, patch: Partial<Draft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const create = useMutation({
    mutationFn: () => {
      const ids = annotators.split(/[\s,]+/).filter(Boolean);
      return api<Queue>('/api/queues', {
        method: 'POST',
        json: { name: name.trim(), overlap: Number(overlap), annotators: ids.length ? ids : null, questions: drafts.map(toQuestion) },
      });
    },
    onSuccess: (q) => {
      void qc.invalidateQueries({ queryKey: ['queues'] });
      navigate(queueHref(q.id));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="queue-create" aria-label="New queue" onSubmit={submit}>
      <h2>New queue</h2>
      <div className="row">
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="support-review" />
        </label>
        <label>
          Overlap <input type="number" min={1} max={50} value={overlap} onChange={(e) => setOverlap(e.target.value)} className="narrow" />
        </label>
        <label>
          Annotators (key ids, optional) <input value={annotators} onChange={(e) => setAnnotators(e.target.value)} placeholder="any key with read scope" />
        </label>
      </div>
      <fieldset>
        <legend>Questions</legend>
        {drafts.map((d, i) => (
          <div className="row question-draft" key={i} role="group" aria-label={`Question ${i + 1}`}>
            <label>
              Kind
              <select value={d.kind} onChange={(e) => set(i, { kind: e.target.value as QuestionKind })}>
                {KINDS.map((k) => (
                  <option key={k}>{k}</option>
                ))}
              </select>
            </label>
            <label>
              Id <input value={d.id} onChange={(e) => set(i, { id: e.target.value })} className="narrow" required />
            </label>
            <label className="grow">
              Prompt <input value={d.prompt} onChange={(e) => set(i, { prompt: e.target.value })} required />
            </label>
            {d.kind === 'rating' && (
              <>
                <label>
                  Min <input type="number" value={d.min} onChange={(e) => set(i, { min: e.target.value })} className="narrow" />
                </label>
                <label>
                  Max <input type="number" value={d.max} onChange={(e) => set(i, { max: e.target.value })} className="narrow" />
                </label>
              </>
            )}
            {d.kind === 'categorical' && (
              <label>
                Options (comma-separated) <input value={d.options} onChange={(e) => set(i, { options: e.target.value })} required />
              </label>
            )}
            {d.kind === 'pairwise' && (
              <>
                <label className="inline">
                  <input type="checkbox" checked={d.allowTie} onChange={(e) => set(i, { allowTie: e.target.checked })} /> allow tie
                </label>
                <label className="inline">
                  <input type="checkbox" checked={d.strength} onChange={(e) => set(i, { strength: e.target.checked })} /> ask strength
                </label>
              </>
            )}
            {d.kind === 'ranking' && (
              <label>
                Outputs (n) <input type="number" min={2} max={20} value={d.n} onChange={(e) => set(i, { n: e.target.value })} className="narrow" />
              </label>
            )}
            {drafts.length > 1 && (
              <button type="button" className="small" onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))} aria-label={`Remove question ${i + 1}`}>
                ✕
              </button>
            )}
          </div>
        ))}
        <button type="button" className="small" onClick={() => setDrafts((ds) => [...ds, newDraft(ds.length)])}>
          + Question
        </button>
      </fieldset>
      {create.error && <ErrorMessage error={create.error} title="The queue was not created" />}
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create queue'}
      </button>
    </form>
  );
}
