/**
 * Training-data export of a queue (docs/exports.md): POST /api/exports with the format and options,
 * then the stats, rejected and skipped rows, and downloads of train, test and the provenance sidecar.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api } from '../../api';
import { ErrorMessage } from '../../ui/feedback';
import { queueHref, queuePath, safeDecode, type Queue } from './types';
import './queues.css';

const FORMATS = ['trl-preference', 'trl-preference-implicit', 'trl-unpaired', 'trl-prompt-completion', 'openai-sft', 'openai-dpo'] as const;
type FileName = 'train' | 'test' | 'provenance';

interface ExportResult {
  format: string;
  stats: { input: number; written: number; train: number; test: number; filtered: number; duplicates: number; rejected: number; warnings: string[] };
  rejected: { id: string; reason: string }[];
  skipped: { id: string; reason: string }[];
  files: Partial<Record<FileName, string>>;
}

export default function ExportPage({ params }: { params: Record<string, string | undefined> }) {
  const id = safeDecode(params.id ?? '');
  const q = useQuery({ queryKey: ['queue', id], queryFn: () => api<Queue>(queuePath(id)) });
  const [format, setFormat] = useState<string>('trl-preference');
  const [style, setStyle] = useState('conversational');
  const [question, setQuestion] = useState('');
  const [minAgreement, setMinAgreement] = useState('');
  const [testFraction, setTestFraction] = useState('0');
  const [seed, setSeed] = useState('');
  const [redact, setRedact] = useState(false);
  const openai = format.startsWith('openai-');
  const body = () => ({
    queue: q.data?.id ?? id,
    format,
    ...(openai ? {} : { style }),
    ...(question ? { question } : {}),
    ...(minAgreement !== '' ? { min_agreement: Number(minAgreement) } : {}),
    test_fraction: Number(testFraction) || 0,
    ...(seed ? { seed } : {}),
    ...(redact ? { redact: true } : {}),
  });
  const run = useMutation({ mutationFn: () => api<ExportResult>('/api/exports', { method: 'POST', json: body() }) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    run.mutate();
  };
  return (
    <div className="queues-page">
      <p className="crumbs">
        <Link href={queueHref(id)}>← {q.data?.name ?? 'Queue'}</Link>
      </p>
      <h1>Export training data</h1>
      <form aria-label="Export" onSubmit={submit}>
        <div className="row">
          <label>
            Format
            <select value={format} onChange={(e) => setFormat(e.target.value)}>
              {FORMATS.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </label>
          <label>
            Style
            <select value={openai ? 'conversational' : style} disabled={openai} onChange={(e) => setStyle(e.target.value)}>
              <option>conversational</option>
              <option>standard</option>
            </select>
          </label>
          <label>
            Question
            <select value={question} onChange={(e) => setQuestion(e.target.value)}>
              <option value="">all</option>
              {q.data?.questions.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.id} ({x.kind})
                </option>
              ))}
            </select>
          </label>
          <label>
            Min agreement <input type="number" min={0} max={1} step={0.05} className="narrow" value={minAgreement} onChange={(e) => setMinAgreement(e.target.value)} />
          </label>
          <label>
            Test fraction <input type="number" min={0} max={1} step={0.05} className="narrow" value={testFraction} onChange={(e) => setTestFraction(e.target.value)} />
          </label>
          <label>
            Seed <input value={seed} onChange={(e) => setSeed(e.target.value)} className="narrow" />
          </label>
          <label className="inline">
            <input type="checkbox" checked={redact} onChange={(e) => setRedact(e.target.checked)} /> Redact PII
          </label>
          <button type="submit" className="primary" disabled={run.isPending}>
            {run.isPending ? 'Exporting…' : 'Export'}
          </button>
        </div>
      </form>
      {run.error && (
        <ErrorMessage
          error={run.error}
          title="The export failed"
        />
      )}
      {run.data && <Result r={run.data} />}
    </div>
  );
}

function Result({ r }: { r: ExportResult }) {
  // Object URLs of the files in the answer, made and revoked by the same effect (safe under StrictMode).
  const [urls, setUrls] = useState<Partial<Record<FileName, string>>>({});
  useEffect(() => {
    const out: Partial<Record<FileName, string>> = {};
    for (const k of ['train', 'test', 'provenance'] as const) {
      const v = r.files?.[k];
      if (typeof v === 'string') out[k] = URL.createObjectURL(new Blob([v], { type: 'application/x-ndjson' }));
    }
    setUrls(out);
    return () => Object.values(out).forEach((u) => u && URL.revokeObjectURL(u));
  }, [r]);
  const s = r.stats;
  return (
    <section aria-label="Export result">
      <h2>Result</h2>
      <div className="cards">
        {(
          [
            ['input', s.input],
            ['written', s.written],
            ['train', s.train],
            ['test', s.test],
            ['filtered', s.filtered],
            ['duplicates', s.duplicates],
            ['rejected', s.rejected],
          ] as const
        ).map(([k, v]) => (
          <div className="card" key={k}>
            <div className="value">{v}</div>
            <div className="label">{k}</div>
          </div>
        ))}
      </div>
      {s.warnings?.length > 0 && (
        <ul aria-label="Warnings">
          {s.warnings.map((w, i) => (
            <li key={i}>{w}</li>
          ))}
        </ul>
      )}
      <p className="links" aria-label="Downloads">
        {(['train', 'test', 'provenance'] as const).map((k) =>
          urls[k] ? (
            <a key={k} href={urls[k]} download={`${r.format}.${k}.jsonl`}>
              {k}.jsonl
            </a>
          ) : null,
        )}
      </p>
      {r.files?.train && (
        <details className="preview" open>
          <summary>train.jsonl (first lines)</summary>
          <pre aria-label="Train preview">{r.files.train.split('\n').slice(0, 5).join('\n')}</pre>
        </details>
      )}
      {r.rejected.length > 0 && <Reasons title="Rejected" rows={r.rejected} />}
      {r.skipped.length > 0 && <Reasons title="Skipped" rows={r.skipped} />}
    </section>
  );
}

function Reasons({ title, rows }: { title: string; rows: { id: string; reason: string }[] }) {
  return (
    <>
      <h3>
        {title} ({rows.length})
      </h3>
      <table aria-label={title}>
        <thead>
          <tr>
            <th>Record</th>
            <th>Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, 200).map((x, i) => (
            <tr key={i}>
              <td className="mono small">{x.id}</td>
              <td>{x.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
