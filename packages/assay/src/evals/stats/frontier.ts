/**
 * The quality/cost frontier (Pareto front) of an experiment's variants: the variants no other variant
 * beats on both axes. Quality is maximized (pass rate or mean score), cost minimized (mean cost per
 * item, or latency). A variant is dominated when another has quality ≥ and cost ≤ with at least one
 * strictly better; everything not dominated is on the frontier.
 */

export interface FrontierPoint {
  id: string;
  quality: number;
  cost: number;
}

/**
 * Ids of the variants on the frontier, ordered by cost ascending (then quality descending, then
 * input order): the order to draw the frontier line in. Ties: variants with exactly the same quality
 * and cost do not dominate each other, so both are on the frontier (or both off). Points whose quality
 * or cost is not a finite number (unknown) are left out.
 */
export function paretoFrontier(points: readonly FrontierPoint[]): string[] {
  const usable = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => Number.isFinite(p.quality) && Number.isFinite(p.cost))
    .sort((x, y) => x.p.cost - y.p.cost || y.p.quality - x.p.quality || x.i - y.i);
  const out: string[] = [];
  let bestQuality = -Infinity;
  let bestCost = Infinity;
  for (const { p } of usable) {
    // Sorted by cost, everything seen before costs no more: p survives only by beating their best
    // quality, or by tying exactly the point that set it.
    if (p.quality > bestQuality) {
      bestQuality = p.quality;
      bestCost = p.cost;
      out.push(p.id);
    } else if (p.quality === bestQuality && p.cost === bestCost) {
      out.push(p.id);
    }
  }
  return out;
}
