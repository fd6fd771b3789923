/**
 * The per-question agreement view: from raw annotations (item, annotator, value) of one question,
 * Krippendorff's α over everyone, Fleiss' κ when every item has the same number of ratings, and
 * Cohen's κ for every pair of annotators who share at least 2 items, plus a sentence for the UI.
 * Run it once per question (filter the annotations first).
 */
import { cohenKappa, type KappaWeights } from './cohen.js';
import { fleissKappa, type FleissResult } from './fleiss.js';
import { interpretKappa, type Interpretation, type KappaBand } from './interpret.js';
import { krippendorffAlpha, type KrippendorffResult } from './krippendorff.js';
import { checkLabel, checkLevel, isMissing, type Label, type Level, type MaybeLabel } from './labels.js';

export interface Annotation {
  item: string;
  annotator: string;
  value: MaybeLabel;
}

export interface AgreementOptions {
  level: Level;
  /** Order of text categories (needed for the ordinal level with text labels). */
  categories?: readonly Label[];
  /**
   * Weights of the pairwise κ: default none for nominal, linear for ordinal, quadratic for interval
   * and ratio (quadratic-weighted κ is close to the intraclass correlation).
   */
  weights?: 'none' | KappaWeights;
}

export interface PairAgreement {
  a: string;
  b: string;
  /** Cohen's κ (weighted per `weights`); null when undefined, see `reason`. */
  kappa: number | null;
  /** Exact-match rate on the shared items. */
  agreement: number;
  /** Items both annotated. */
  n: number;
  interpretation: Interpretation<KappaBand>;
  reason: string | null;
}

export interface AgreementReport {
  level: Level;
  /** Distinct items with at least one value. */
  items: number;
  annotators: string[];
  /** Annotations with a value (after collapsing duplicates). */
  annotations: number;
  /** Repeated (item, annotator) annotations: the last one was kept. */
  duplicates: number;
  alpha: KrippendorffResult;
  /** null when the items have different numbers of ratings (see `fleissReason`). */
  fleiss: FleissResult | null;
  fleissReason: string | null;
  weights: 'none' | KappaWeights;
  /** Every annotator pair with ≥ 2 shared items, sorted by κ ascending (the weakest first; null last). */
  pairs: PairAgreement[];
  interpretation: string;
}

export function defaultWeights(level: Level): 'none' | KappaWeights {
  return level === 'nominal' ? 'none' : level === 'ordinal' ? 'linear' : 'quadratic';
}

/** Agreement statistics of one question's annotations. */
export function agreementReport(annotations: readonly Annotation[], opts: AgreementOptions): AgreementReport {
  const level = checkLevel(opts.level);
  const weights = opts.weights ?? defaultWeights(level);
  // item → annotator → value; the last annotation of a pair wins.
  const byItem = new Map<string, Map<string, Label>>();
  const annotatorSet = new Set<string>();
  let duplicates = 0;
  annotations.forEach((a, i) => {
    if (isMissing(a.value)) return;
    const value = checkLabel(a.value, `annotations[${i}].value`);
    const item = String(a.item);
    const who = String(a.annotator);
    let row = byItem.get(item);
    if (!row) byItem.set(item, (row = new Map()));
    if (row.has(who)) duplicates++;
    row.set(who, value);
    annotatorSet.add(who);
  });
  const annotators = [...annotatorSet].sort();
  const items = [...byItem.keys()];
  const units = items.map((it) => annotators.map((who) => byItem.get(it)?.get(who) ?? null));
  const alpha = krippendorffAlpha(units, level, { categories: opts.categories });

  let fleiss: FleissResult | null = null;
  let fleissReason: string | null = null;
  const counts = new Set(items.map((it) => (byItem.get(it) as Map<string, Label>).size));
  const [count] = [...counts];
  if (items.length === 0) fleissReason = 'no annotations';
  else if (counts.size > 1) fleissReason = `items have different numbers of ratings (${[...counts].sort((x, y) => x - y).join(', ')}): see α`;
  else if (count < 2) fleissReason = 'every item has a single rating';
  else fleiss = fleissKappa(items.map((it) => [...(byItem.get(it) as Map<string, Label>).values()]), { categories: opts.categories });

  const pairs: PairAgreement[] = [];
  for (let i = 0; i < annotators.length; i++) {
    for (let j = i + 1; j < annotators.length; j++) {
      const a = annotators[i];
      const b = annotators[j];
      const shared: { a: Label; b: Label }[] = [];
      for (const row of byItem.values()) {
        const va = row.get(a);
        const vb = row.get(b);
        if (va !== undefined && vb !== undefined) shared.push({ a: va, b: vb });
      }
      if (shared.length < 2) continue;
      const k = cohenKappa(shared, { weights: weights === 'none' ? undefined : weights, categories: opts.categories });
      const exact = shared.filter((p) => p.a === p.b).length;
      pairs.push({ a, b, kappa: k.kappa, agreement: exact / shared.length, n: k.n, interpretation: k.interpretation, reason: k.reason });
    }
  }
  pairs.sort((x, y) => (x.kappa ?? Infinity) - (y.kappa ?? Infinity) || x.a.localeCompare(y.a) || x.b.localeCompare(y.b));

  return {
    level,
    items: items.length,
    annotators,
    annotations: units.reduce((s, u) => s + u.filter((v) => v !== null).length, 0),
    duplicates,
    alpha,
    fleiss,
    fleissReason,
    weights,
    pairs,
    interpretation: describe(alpha, pairs),
  };
}

function describe(alpha: KrippendorffResult, pairs: readonly PairAgreement[]): string {
  const parts: string[] = [];
  if (alpha.alpha === null) parts.push(`Krippendorff's α is undefined: ${alpha.reason}.`);
  else {
    parts.push(`${alpha.interpretation.text} — ${alpha.level} scale, ${alpha.n} pairable values over ${alpha.units} items.`);
  }
  const weakest = pairs.find((p) => p.kappa !== null);
  if (weakest && pairs.length > 1) {
    parts.push(`Weakest pair: ${weakest.a} and ${weakest.b}, ${interpretKappa(weakest.kappa).text} on ${weakest.n} items.`);
  }
  return parts.join(' ');
}
