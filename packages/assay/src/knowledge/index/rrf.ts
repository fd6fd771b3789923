/** Reciprocal rank fusion (Cormack et al. 2009): score(d) = Σ over arms of 1 / (K + rank(d)), rank 1-based. */

export const RRF_K = 60;

export interface Fused {
  id: number;
  score: number;
  /** 1-based rank in each input list, or undefined when the list does not hold the id. */
  ranks: (number | undefined)[];
}

/**
 * Fuses ranked id lists (best first). Ties in score keep the order of first appearance in the
 * lists taken in turn (list 0's rank 1, list 1's rank 1, list 0's rank 2, …), so the result is
 * deterministic.
 */
export function reciprocalRankFusion(lists: readonly (readonly number[])[], k = RRF_K): Fused[] {
  const byId = new Map<number, Fused & { first: number }>();
  const longest = Math.max(0, ...lists.map((l) => l.length));
  let order = 0;
  for (let r = 0; r < longest; r++) {
    for (let a = 0; a < lists.length; a++) {
      const id = lists[a][r];
      if (id === undefined) continue;
      let f = byId.get(id);
      if (!f) {
        f = { id, score: 0, ranks: new Array(lists.length).fill(undefined), first: order++ };
        byId.set(id, f);
      }
      if (f.ranks[a] !== undefined) continue; // a list naming an id twice counts its best rank only
      f.ranks[a] = r + 1;
      f.score += 1 / (k + r + 1);
    }
  }
  return [...byId.values()]
    .sort((x, y) => y.score - x.score || x.first - y.first)
    .map(({ id, score, ranks }) => ({ id, score, ranks }));
}
