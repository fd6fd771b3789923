/**
 * One experiment: progress (polled while it runs), the per-variant statistics with each interval
 * next to the number it qualifies, the comparisons (McNemar, bootstrap score difference, BH
 * significance, regressions and warnings in place), and the items × variants grid.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { api, ApiError } from '../../api';
import { EmptyState, ErrorMessage, Loading } from '../../ui/feedback';
import { fmtCost, fmtInt, fmtMs, fmtTime } from '../../ui/format';
import { JsonView } from '../../ui/json';
import { Grid } from './grid';
import { Progress, StatusBadge } from './list';
import { active, fmtP, num, numInterval, pct, pctInterval, pp, signed, type Comparison, type Experiment, type Result, type VariantSummary } from './types';
import './experiments.css';

export default function ExperimentPage({ params }: { params: Record<string, string | undefined> }) {
  const id = params.id ?? '';
  const exp = useQuery({
    queryKey: ['experiment', id],
    queryFn: () => api<Experiment>(`/api/experiments/${encodeURIComponent(id)}`),
    refetchInterval: (q) => (q.state.data && active(q.state.data.status) ? 1000 : false),
  });
  const status = exp.data?.status;
  const results = useQuery({
    // The status is in the key: the results are read again once the run ends.
    queryKey: ['experiment-results', id, status === undefined ? null : active(status) ? 'active' : status],
    queryFn: () => api<{ status: string; data: Result[] }>(`/api/experiments/${encodeURIComponent(id)}/results`),
    enabled: !!exp.data,
    refetchInterval: status && active(status) ? 3000 : false,
  });

  return (
    <div className="experiments-page">
      <p className="crumbs">
        <Link href="/experiments">← Experiments</Link>
      </p>
      {exp.error ? (
        exp.error instanceof ApiError && exp.error.status === 404 ? (
          <EmptyState title="Experiment not found">
            <p>{exp.error.message}</p>
          </EmptyState>
        ) : (
          <ErrorMessage error={exp.error} title="The experiment could not be loaded" />
        )
      ) : !exp.data ? (
        <Loading what="Loading experiment" />
      ) : (
        <>
          <Header e={exp.data} />
          {exp.data.summary ? (
            <>
              <Stats variants={exp.data.summary.variants} k={exp.data.summary.k} />
              {exp.data.summary.comparisons.length > 0 && <Comparisons rows={exp.data.summary.comparisons} />}
            </>
          ) : active(exp.data.status) ? (
            <p className="muted">The statistics appear when the run is done.</p>
          ) : null}
          <h2>Results</h2>
          {results.error ? (
            <ErrorMessage error={results.error} title="The results could not be loaded" />
          ) : !results.data ? (
            <Loading what="Loading results" />
          ) : (
            <Grid e={exp.data} rows={results.data.data} />
          )}
          <JsonView value={exp.data.definition} label="Definition (JSON)" />
        </>
      )}
    </div>
  );
}

function Header({ e }: { e: Experiment }) {
  return (
    <>
      <h1>
        {e.name} <StatusBadge status={e.status} />
      </h1>
      <p className="muted small">
        <code>{e.id}</code> · {e.dataset ? `dataset ${e.dataset}${e.dataset_version !== null ? ` v${e.dataset_version}` : ''}` : 'inline items'} ·{' '}
        {e.definition.variants.length} variants × {e.definition.repeats} repeat{e.definition.repeats === 1 ? '' : 's'} · created {fmtTime(e.created_at)}
        {e.finished_at && e.started_at && <> · took {fmtMs(e.finished_at - e.started_at)}</>}
      </p>
      <p>
        <Progress done={e.done} total={e.total} />
        {active(e.status) && <span className="muted small"> refreshing…</span>}
      </p>
      {e.definition.description && <p>{e.definition.description}</p>}
      {e.error && <ErrorMessage error={e.error} title={`The experiment ${e.status === 'failed' ? 'failed' : 'stopped'}`} />}
    </>
  );
}

function Stats({ variants, k }: { variants: VariantSummary[]; k: number }) {
  const many = k > 1;
  return (
    <>
      <h2>Variants</h2>
      <div className="table-wrap">
        <table aria-label="Variant statistics">
          <thead>
            <tr>
              <th>Variant</th>
              <th>Model / prompt</th>
              <th className="num" title="Pass rate with its 95% Wilson interval">
                Pass rate [95% CI]
              </th>
              <th className="num" title="Mean score with its 95% bootstrap interval">
                Mean score [95% CI]
              </th>
              {many && <th className="num">pass@{k}</th>}
              {many && <th className="num">pass^{k}</th>}
              {many && <th className="num">Flaky</th>}
              <th className="num">Runs</th>
              <th className="num">Errors</th>
              <th className="num">p50 / p95</th>
              <th className="num">Cost / run</th>
              <th className="num">Cost total</th>
            </tr>
          </thead>
          <tbody>
            {variants.map((v) => (
              <tr key={v.id}>
                <td>
                  <strong>{v.id}</strong>{' '}
                  {v.frontier && (
                    <span className="badge frontier" title="On the quality/cost frontier: no other variant is both better and cheaper">
                      frontier
                    </span>
                  )}
                </td>
                <td className="small">
                  {v.model}
                  {v.prompt && <span className="muted"> · {v.prompt}</span>}
                </td>
                <td className="num">
                  <Qualified text={pctInterval(v.passRate)} />
                </td>
                <td className="num">
                  <Qualified text={numInterval(v.meanScore)} />
                </td>
                {many && <td className="num">{pct(v.passAtK)}</td>}
                {many && <td className="num">{pct(v.passHatK)}</td>}
                {many && (
                  <td className="num" title={v.flakyItems.join(', ')}>
                    {fmtInt(v.flakyItems.length)}
                  </td>
                )}
                <td className="num">
                  {fmtInt(v.runs)} <span className="muted small">({fmtInt(v.items)} items)</span>
                </td>
                <td className="num">{v.errors ? <span className="badge error">{fmtInt(v.errors)}</span> : '0'}</td>
                <td className="num">
                  {fmtMs(v.latencyMs.p50)} / {fmtMs(v.latencyMs.p95)}
                </td>
                <td className="num">{fmtCost(v.cost.perRun)}</td>
                <td className="num">{fmtCost(v.cost.total)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">Intervals are 95%: Wilson for pass rates, bootstrap for mean scores.{many && ` pass@${k}: at least one of ${k} runs passes; pass^${k}: all ${k} pass.`}</p>
    </>
  );
}

/** "72% [61–81%]": the number, its interval dimmed right after it. */
function Qualified({ text }: { text: string }) {
  const i = text.indexOf(' [');
  if (i < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, i)} <span className="ci">{text.slice(i + 1)}</span>
    </>
  );
}

function Comparisons({ rows }: { rows: Comparison[] }) {
  return (
    <>
      <h2>Comparisons</h2>
      <div className="table-wrap">
        <table aria-label="Comparisons">
          <thead>
            <tr>
              <th>Variant vs baseline</th>
              <th className="num">Items</th>
              <th className="num">Δ pass rate</th>
              <th className="num" title="McNemar test on the paired pass/fail (b: only the baseline passes, c: only the variant)">
                McNemar p
              </th>
              <th className="num" title="Mean paired score difference with its 95% bootstrap interval">
                Δ score [95% CI]
              </th>
              <th className="num">p (score)</th>
              <th className="num">Effect size</th>
              <th>Significant (BH)</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={`${c.baseline}/${c.variant}`} className={c.regression ? 'regression' : undefined}>
                <td>
                  <strong>{c.variant}</strong> <span className="muted">vs {c.baseline}</span>
                  {c.regression && <span className="badge error"> regression</span>}
                </td>
                <td className="num">{fmtInt(c.items)}</td>
                <td className="num">{pp(c.passRateDiff)}</td>
                <td className="num" title={c.mcnemar ? `b = ${c.mcnemar.b}, c = ${c.mcnemar.c}, ${c.mcnemar.method}` : undefined}>
                  {c.mcnemar ? (
                    <>
                      {fmtP(c.mcnemar.p)} <span className="ci small">({c.mcnemar.b}/{c.mcnemar.c}, {c.mcnemar.method})</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="num">
                  {c.scoreDiff ? (
                    <>
                      {signed(c.scoreDiff.mean)} <span className="ci">[{num(c.scoreDiff.low)}–{num(c.scoreDiff.high)}]</span>
                    </>
                  ) : (
                    '—'
                  )}
                </td>
                <td className="num">{fmtP(c.scoreDiff?.p)}</td>
                <td className="num">{num(c.scoreDiff?.effectSize ?? null)}</td>
                <td>{c.significant ? <span className="badge ok">yes</span> : <span className="muted">no</span>}</td>
                <td className="warning">{c.warning ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
