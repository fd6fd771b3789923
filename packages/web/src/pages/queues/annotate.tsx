/**
 * The annotating workspace: the next item for the signed-in key (GET /api/queues/:id/next), one
 * control per question, keyboard-first (see the legend), one POST per item, then the next item.
 * Pairwise and ranking items are blind: outputs are shown as Left/Right (or 1…n), never by variant.
 */
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ApiError, api } from '../../api';
import { useSessionKey } from '../../session';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { lineDiff, queueHref, queuePath, safeDecode, textOf, type ItemInput, type ItemView, type NextResponse, type Progress, type Question } from './types';
import './queues.css';

export default function AnnotatePage({ params }: { params: Record<string, string | undefined> }) {
  const id = safeDecode(params.id ?? '');
  const key = useSessionKey();
  const qc = useQueryClient();
  // Items skipped in this sitting: the server releases their reservation and hands out the next one.
  const [skipped, setSkipped] = useState<string[]>([]);
  const skipQuery = skipped.length ? `?skip=${skipped.map(encodeURIComponent).join(',')}` : '';
  const next = useQuery({ queryKey: ['queue-next', id, skipped], queryFn: () => api<NextResponse>(`${queuePath(id)}/next${skipQuery}`), refetchOnWindowFocus: false });
  const progress = useQuery({ queryKey: ['queue-progress', id], queryFn: () => api<Progress>(`${queuePath(id)}/progress`) });
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ['queue-next', id] });
    void qc.invalidateQueries({ queryKey: ['queue-progress', id] });
  };
  const mine = progress.data?.annotators.find((a) => a.id === key.id)?.done ?? 0;
  const item = next.data?.item ?? null;
  return (
    <div className="queues-page">
      <p className="crumbs">
        <Link href={queueHref(id)}>← Queue</Link>
      </p>
      <h1>Annotate</h1>
      {progress.data && (
        <p className="muted small" role="status" aria-label="Progress">
          {mine} done by me · {progress.data.remaining} of {progress.data.items} items remaining · overlap {progress.data.overlap}
        </p>
      )}
      {next.error ? (
        <ErrorMessage error={next.error} title={next.error instanceof ApiError && next.error.status === 403 ? 'You may not annotate this queue' : 'The next item could not be loaded'} />
      ) : !next.data ? (
        <Loading what="Loading the next item" />
      ) : !item ? (
        <EmptyState title="Nothing left to annotate">
          <p>Every item of this queue has its annotations, or is taken by another annotator for now. Come back later, or see the queue’s agreement.</p>
          {skipped.length > 0 && (
            <button type="button" onClick={() => setSkipped([])}>
              Back to the {skipped.length} skipped
            </button>
          )}
        </EmptyState>
      ) : (
        <ItemForm
          key={item.id}
          queue={id}
          item={item}
          questions={next.data.questions}
          onDone={refresh}
          onSkip={() => {
            setSkipped((s) => [...s, item.id]);
            refresh();
          }}
        />
      )}
    </div>
  );
}

type Pair = { choice: 'left' | 'right' | 'tie'; strength: number };
const digitKinds = new Set(['rating', 'categorical', 'ranking']);

function isTyping(el: EventTarget | null): boolean {
  const t = el as HTMLElement | null;
  if (!t || !t.tagName) return false;
  return t.tagName === 'TEXTAREA' || (t.tagName === 'INPUT' && !['checkbox', 'radio', 'button'].includes((t as HTMLInputElement).type)) || t.isContentEditable;
}

function ItemForm({ queue, item, questions, onDone, onSkip }: { queue: string; item: ItemView; questions: Question[]; onDone: () => void; onSkip: () => void }) {
  const original = item.output ?? '';
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [corrections, setCorrections] = useState<Record<string, string>>(() => Object.fromEntries(questions.filter((q) => q.kind === 'correction').map((q) => [q.id, original])));
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const digitQs = questions.filter((q) => digitKinds.has(q.kind));
  const [active, setActive] = useState<string | null>(digitQs[0]?.id ?? null);
  const [hint, setHint] = useState<string | null>(null);
  const editors = useRef<Record<string, HTMLTextAreaElement | null>>({});
  const outputs = item.kind === 'multi' ? (item.outputs ?? []) : [];

  const setValue = (qid: string, v: unknown) => setValues((s) => ({ ...s, [qid]: v }));
  const advance = (qid: string) => {
    const i = digitQs.findIndex((q) => q.id === qid);
    const after = digitQs.slice(i + 1).find((q) => values[q.id] === undefined) ?? digitQs[i + 1];
    if (after) setActive(after.id);
  };

  const answers = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const q of questions) {
      const v = values[q.id];
      if (q.kind === 'correction') {
        if (touched.has(q.id)) out[q.id] = corrections[q.id] ?? '';
      } else if (q.kind === 'text') {
        if (typeof v === 'string' && v.trim()) out[q.id] = v;
      } else if (q.kind === 'pairwise') {
        const p = v as Pair | undefined;
        if (p) out[q.id] = q.strength && p.choice !== 'tie' ? { choice: p.choice, strength: p.strength } : p.choice;
      } else if (q.kind === 'ranking') {
        if (Array.isArray(v) && v.length === outputs.length) out[q.id] = v;
      } else if (v !== undefined) out[q.id] = v;
    }
    return out;
  };

  const submit = useMutation({
    mutationFn: (a: Record<string, unknown>) => api(`${queuePath(queue)}/items/${encodeURIComponent(item.id)}/annotations`, { method: 'POST', json: { answers: a } }),
    onSuccess: onDone,
  });
  const trySubmit = () => {
    const a = answers();
    if (Object.keys(a).length === 0) {
      setHint('Answer at least one question before submitting.');
      return;
    }
    setHint(null);
    if (!submit.isPending) submit.mutate(a);
  };

  const pickDigit = (q: Question, d: number) => {
    if (q.kind === 'rating') {
      if (d < q.min || d > q.max) return setHint(`${q.id}: ${d} is outside ${q.min}–${q.max}`);
      setValue(q.id, d);
      advance(q.id);
    } else if (q.kind === 'categorical') {
      const opt = q.options[d - 1];
      if (!opt) return setHint(`${q.id}: there is no option ${d}`);
      setValue(q.id, opt);
      advance(q.id);
    } else if (q.kind === 'ranking') {
      if (d < 1 || d > outputs.length) return;
      const cur = (values[q.id] as number[] | undefined) ?? [];
      const nextRank = cur.length >= outputs.length ? [d] : cur.includes(d) ? cur : [...cur, d];
      setValue(q.id, nextRank);
      if (nextRank.length === outputs.length) advance(q.id);
    }
    setHint(null);
  };
  const pickPair = (q: Question & { kind: 'pairwise' }, choice: Pair['choice'], strong: boolean) => {
    if (choice === 'tie' && !q.allow_tie) return setHint(`${q.id}: no tie allowed`);
    setValue(q.id, { choice, strength: strong ? 3 : 2 } satisfies Pair);
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.metaKey) return;
      const typing = isTyping(e.target);
      if (typing) {
        if (e.key === 'Escape') (e.target as HTMLElement).blur();
        else if (e.key === 'Enter' && e.ctrlKey) {
          e.preventDefault();
          trySubmit();
        }
        return;
      }
      if (e.ctrlKey && e.key !== 'Enter') return;
      const k = e.key;
      if (k === 'Enter') {
        e.preventDefault();
        trySubmit();
        return;
      }
      if (/^[0-9]$/.test(k)) {
        const q = digitQs.find((x) => x.id === active) ?? digitQs[0];
        if (q) {
          e.preventDefault();
          pickDigit(q, Number(k));
        }
        return;
      }
      const lower = k.toLowerCase();
      if (lower === 'y' || lower === 'n') {
        const bools = questions.filter((q) => q.kind === 'boolean');
        const q = bools.find((x) => values[x.id] === undefined) ?? bools[bools.length - 1];
        if (q) {
          e.preventDefault();
          setValue(q.id, lower === 'y');
        }
        return;
      }
      const pw = questions.find((q) => q.kind === 'pairwise') as (Question & { kind: 'pairwise' }) | undefined;
      const choice = lower === 'a' || k === 'ArrowLeft' ? 'left' : lower === 'b' || k === 'ArrowRight' ? 'right' : lower === 't' || k === 'ArrowDown' ? 'tie' : null;
      if (pw && choice) {
        e.preventDefault();
        pickPair(pw, choice, e.shiftKey);
        return;
      }
      if (lower === 'e') {
        const q = questions.find((x) => x.kind === 'correction') ?? questions.find((x) => x.kind === 'text');
        const el = q && editors.current[q.id];
        if (el) {
          e.preventDefault();
          el.focus();
          el.setSelectionRange(el.value.length, el.value.length);
        }
        return;
      }
      if (lower === 's') {
        e.preventDefault();
        onSkip();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  const pw = values[questions.find((q) => q.kind === 'pairwise')?.id ?? ''] as Pair | undefined;
  return (
    <div className="workspace">
      <div>
        <section className="panel" aria-label="Input">
          <h2>Input</h2>
          <InputView input={item.input} />
        </section>
        {item.kind === 'single' ? (
          <section className="panel" aria-label="Output">
            <h2>Output</h2>
            <pre className="output">{original || <span className="muted">(no text output)</span>}</pre>
          </section>
        ) : outputs.length === 2 ? (
          <div className="sides">
            <section className={`panel${pw?.choice === 'left' ? ' picked' : ''}`} aria-label="Left">
              <h2>Left</h2>
              <pre className="output">{item.left ?? ''}</pre>
            </section>
            <section className={`panel${pw?.choice === 'right' ? ' picked' : ''}`} aria-label="Right">
              <h2>Right</h2>
              <pre className="output">{item.right ?? ''}</pre>
            </section>
          </div>
        ) : (
          <div className="sides">
            {outputs.map((o) => (
              <section className="panel" key={o.position} aria-label={`Output ${o.position}`}>
                <h2>Output {o.position}</h2>
                <pre className="output">{o.output ?? ''}</pre>
              </section>
            ))}
          </div>
        )}
      </div>
      <form
        aria-label="Answers"
        onSubmit={(e) => {
          e.preventDefault();
          trySubmit();
        }}
      >
        {questions.map((q) => (
          <fieldset key={q.id} className={`question${q.id === active ? ' active' : ''}`} aria-label={q.prompt} onFocus={() => digitKinds.has(q.kind) && setActive(q.id)}>
            <h3>
              {q.prompt} <span className="muted small">({q.id}{q.required ? ', required' : ''})</span>
            </h3>
            <Control
              q={q}
              value={values[q.id]}
              set={(v) => {
                setValue(q.id, v);
                if (digitKinds.has(q.kind)) setActive(q.id);
              }}
              outputs={outputs.length}
              correction={corrections[q.id] ?? ''}
              setCorrection={(t) => {
                setCorrections((s) => ({ ...s, [q.id]: t }));
                setTouched((s) => new Set(s).add(q.id));
              }}
              original={original}
              editorRef={(el) => {
                editors.current[q.id] = el;
              }}
            />
          </fieldset>
        ))}
        {hint && (
          <p className="error-box" role="alert">
            {hint}
          </p>
        )}
        {submit.error && <ErrorMessage error={submit.error} title="The annotation was not saved" />}
        <div className="row">
          <button type="submit" className="primary" disabled={submit.isPending}>
            {submit.isPending ? 'Saving…' : 'Submit and next'}
          </button>
          <button type="button" onClick={onSkip}>
            Skip
          </button>
        </div>
        <Legend questions={questions} />
      </form>
    </div>
  );
}

function InputView({ input }: { input: ItemInput }) {
  if (!input) return <p className="muted">(no input recorded)</p>;
  if ('vars' in input)
    return (
      <dl>
        {Object.entries(input.vars).map(([k, v]) => (
          <div key={k} className="msg">
            <span className="role">{k}</span> {typeof v === 'string' ? v : JSON.stringify(v)}
          </div>
        ))}
      </dl>
    );
  return (
    <div>
      {input.messages.map((m, i) => (
        <div key={i} className="msg">
          <div className="role">{m.role}</div>
          {textOf(m.content)}
          {m.tool_calls ? <pre className="small">{JSON.stringify(m.tool_calls, null, 1)}</pre> : null}
        </div>
      ))}
    </div>
  );
}

function Control(props: {
  q: Question;
  value: unknown;
  set: (v: unknown) => void;
  outputs: number;
  correction: string;
  setCorrection: (t: string) => void;
  original: string;
  editorRef: (el: HTMLTextAreaElement | null) => void;
}) {
  const { q, value, set } = props;
  switch (q.kind) {
    case 'rating': {
      const opts = Array.from({ length: q.max - q.min + 1 }, (_, i) => q.min + i);
      return (
        <div className="choices" role="group" aria-label={`${q.id} rating`}>
          {opts.map((n) => (
            <button type="button" key={n} aria-pressed={value === n} onClick={() => set(n)} title={q.labels?.[String(n)]}>
              {n}
              {q.labels?.[String(n)] ? ` ${q.labels[String(n)]}` : ''}
            </button>
          ))}
        </div>
      );
    }
    case 'categorical':
      return (
        <div className="choices" role="group" aria-label={`${q.id} options`}>
          {q.options.map((o, i) => (
            <button type="button" key={o} aria-pressed={value === o} onClick={() => set(o)}>
              {i < 9 && <kbd>{i + 1}</kbd>} {o}
            </button>
          ))}
        </div>
      );
    case 'boolean':
      return (
        <div className="choices" role="group" aria-label={`${q.id} yes or no`}>
          <button type="button" aria-pressed={value === true} onClick={() => set(true)}>
            <kbd>y</kbd> Yes
          </button>
          <button type="button" aria-pressed={value === false} onClick={() => set(false)}>
            <kbd>n</kbd> No
          </button>
        </div>
      );
    case 'text':
      return <textarea aria-label={q.prompt} ref={props.editorRef} value={(value as string) ?? ''} onChange={(e) => set(e.target.value)} />;
    case 'correction': {
      const diff = lineDiff(props.original, props.correction);
      const changed = props.correction !== props.original;
      return (
        <>
          <textarea aria-label={`Correction: ${q.prompt}`} ref={props.editorRef} value={props.correction} onChange={(e) => props.setCorrection(e.target.value)} />
          {changed ? (
            <div className="diff" aria-label="Correction diff">
              {diff.map((l, i) => (
                <div key={i} className={l.op === '+' ? 'add' : l.op === '-' ? 'del' : ''}>
                  {l.op} {l.line}
                </div>
              ))}
            </div>
          ) : (
            <p className="muted small">Unchanged (press <kbd>e</kbd> to edit).</p>
          )}
        </>
      );
    }
    case 'pairwise': {
      const p = value as Pair | undefined;
      const choices: Pair['choice'][] = q.allow_tie ? ['left', 'tie', 'right'] : ['left', 'right'];
      return (
        <>
          <div className="choices" role="group" aria-label={`${q.id} preference`}>
            {choices.map((c) => (
              <button type="button" key={c} aria-pressed={p?.choice === c} onClick={() => set({ choice: c, strength: p?.strength ?? 2 })}>
                {c === 'left' ? 'Left better' : c === 'right' ? 'Right better' : 'Tie'}
              </button>
            ))}
          </div>
          {q.strength && p && p.choice !== 'tie' && (
            <div className="choices" role="group" aria-label={`${q.id} strength`}>
              {[1, 2, 3].map((s) => (
                <button type="button" key={s} aria-pressed={p.strength === s} onClick={() => set({ ...p, strength: s })}>
                  {s === 1 ? 'slightly' : s === 2 ? 'clearly' : 'much better'}
                </button>
              ))}
            </div>
          )}
        </>
      );
    }
    case 'ranking': {
      const r = (value as number[] | undefined) ?? [];
      return (
        <div>
          <div className="choices" role="group" aria-label={`${q.id} ranking`}>
            {Array.from({ length: props.outputs }, (_, i) => i + 1).map((p) => (
              <button type="button" key={p} aria-pressed={r.includes(p)} onClick={() => set(r.length >= props.outputs ? [p] : r.includes(p) ? r : [...r, p])}>
                Output {p}
                {r.includes(p) ? ` (#${r.indexOf(p) + 1})` : ''}
              </button>
            ))}
            <button type="button" className="small" onClick={() => set([])}>
              Clear
            </button>
          </div>
          <p className="muted small">Best first: {r.length ? r.join(' > ') : '—'}</p>
        </div>
      );
    }
  }
}

function Legend({ questions }: { questions: Question[] }) {
  const kinds = new Set(questions.map((q) => q.kind));
  return (
    <div className="legend" aria-label="Keyboard shortcuts">
      {(kinds.has('rating') || kinds.has('categorical') || kinds.has('ranking')) && (
        <span>
          <kbd>1</kbd>–<kbd>9</kbd> pick (highlighted question)
        </span>
      )}
      {kinds.has('boolean') && (
        <span>
          <kbd>y</kbd>/<kbd>n</kbd> yes/no
        </span>
      )}
      {kinds.has('pairwise') && (
        <span>
          <kbd>a</kbd>/<kbd>b</kbd>/<kbd>t</kbd> or <kbd>←</kbd>/<kbd>→</kbd>/<kbd>↓</kbd> left/right/tie, <kbd>shift</kbd> strongly
        </span>
      )}
      {(kinds.has('correction') || kinds.has('text')) && (
        <span>
          <kbd>e</kbd> edit, <kbd>Esc</kbd> leave the editor
        </span>
      )}
      <span>
        <kbd>Enter</kbd> / <kbd>Ctrl</kbd>+<kbd>Enter</kbd> submit and next
      </span>
      <span>
        <kbd>s</kbd> skip
      </span>
    </div>
  );
}
