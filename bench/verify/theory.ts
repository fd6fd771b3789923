/**
 * What the verification strategies should do to a model whose calls are INDEPENDENT draws: each
 * call right with probability p, its JSON (or code) broken with probability q. The simulation
 * checks the layer against these numbers; the live mode prints them beside a real model's
 * measurements, with p and q estimated from its baseline row.
 */

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** P(X ≥ m), X ~ Bin(n, p). */
export function binomAtLeast(n: number, p: number, m: number): number {
  let s = 0;
  for (let k = m; k <= n; k++) s += choose(n, k) * p ** k * (1 - p) ** (n - k);
  return s;
}

/**
 * A vote of N samples, each correct (c), wrong (w, all wrong answers alike) or without a vote:
 * the probabilities that the correct answer wins, the wrong one wins, or the vote gives no answer
 * (a tie, 0 votes, or a winner below min_agreement: abstained/failed). With min_agreement 0.5 and
 * an odd N, `right` does not depend on whether wrong answers agree (a right answer with ≥ N/2 votes
 * beats any other), so it holds for models whose mistakes differ too.
 */
export function voteOutcome(n: number, c: number, w: number, minAgreement = 0.5): { right: number; wrong: number; none: number } {
  const u = 1 - c - w;
  let right = 0;
  let wrong = 0;
  for (let C = 0; C <= n; C++) {
    for (let W = 0; C + W <= n; W++) {
      const pr = (choose(n, C) * choose(n - C, W)) * c ** C * w ** W * u ** (n - C - W);
      if (C > W && C / n >= minAgreement) right += pr;
      else if (W > C && W / n >= minAgreement) wrong += pr;
    }
  }
  const none = 1 - right - wrong;
  return { right, wrong, none: none < 1e-12 ? 0 : none }; // no rounding residue: odd N with q = 0 never abstains
}

/** schema with k retries: the share with a valid answer, and model calls per question. */
export function schemaTheory(q: number, k: number): { valid: number; calls: number } {
  const valid = 1 - q ** (k + 1);
  return { valid, calls: q < 1 ? valid / (1 - q) : k + 1 };
}

/** judge with k attempts, each passing with probability s: the share that passes, and model calls per question. */
export function judgeTheory(s: number, k: number): { pass: number; calls: number } {
  const pass = 1 - (1 - s) ** k;
  return { pass, calls: s > 0 ? pass / s : k };
}
