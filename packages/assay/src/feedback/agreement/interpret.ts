/**
 * Reading agreement coefficients: Landis & Koch (1977) bands for κ, and Krippendorff's thresholds
 * for α (≥ 0.800 reliable, 0.667–0.800 tentative conclusions only). Reference §7; docs/agreement.md.
 */

export type KappaBand = 'poor' | 'slight' | 'fair' | 'moderate' | 'substantial' | 'almost perfect' | 'undefined';
export type AlphaBand = 'reliable' | 'tentative' | 'unreliable' | 'undefined';

export interface Interpretation<B extends string> {
  band: B;
  /** The range of the band, e.g. "0.41–0.60"; null when the coefficient is undefined. */
  range: string | null;
  /** One sentence for people, e.g. "κ = 0.40: fair agreement (Landis & Koch 0.21–0.40)". */
  text: string;
}

/** Krippendorff's thresholds: data are reliable at α ≥ 0.800, support tentative conclusions at ≥ 0.667. */
export const ALPHA_RELIABLE = 0.8;
export const ALPHA_TENTATIVE = 0.667;

const KAPPA_BANDS: readonly { upTo: number; band: KappaBand; range: string }[] = [
  { upTo: 0, band: 'poor', range: '< 0' },
  { upTo: 0.2, band: 'slight', range: '0.00–0.20' },
  { upTo: 0.4, band: 'fair', range: '0.21–0.40' },
  { upTo: 0.6, band: 'moderate', range: '0.41–0.60' },
  { upTo: 0.8, band: 'substantial', range: '0.61–0.80' },
  { upTo: Infinity, band: 'almost perfect', range: '0.81–1.00' },
];

function fmt(x: number): string {
  return (Object.is(x, -0) ? 0 : x).toFixed(3);
}

/**
 * Landis & Koch band of a κ: < 0 poor, ≤ 0.20 slight, ≤ 0.40 fair, ≤ 0.60 moderate, ≤ 0.80
 * substantial, above almost perfect. (The published bands are 0.00–0.20, 0.21–0.40, …; a value
 * between two of them, such as 0.405, goes to the lower band.) null → 'undefined'.
 */
export function interpretKappa(k: number | null, symbol = 'κ'): Interpretation<KappaBand> {
  if (k === null || !Number.isFinite(k)) return { band: 'undefined', range: null, text: `${symbol} is undefined` };
  const b = k < 0 ? KAPPA_BANDS[0] : KAPPA_BANDS.find((x) => x.upTo !== 0 && k <= x.upTo + 1e-12) ?? KAPPA_BANDS[5];
  const what = b.band === 'poor' ? 'less agreement than chance' : `${b.band} agreement`;
  return { band: b.band, range: b.range, text: `${symbol} = ${fmt(k)}: ${what} (Landis & Koch ${b.range})` };
}

/**
 * Krippendorff's reading of an α: ≥ 0.800 reliable, ≥ 0.667 tentative (conclusions only with care),
 * below unreliable. null → 'undefined'.
 */
export function interpretAlpha(a: number | null): Interpretation<AlphaBand> {
  if (a === null || !Number.isFinite(a)) return { band: 'undefined', range: null, text: 'α is undefined' };
  if (a >= ALPHA_RELIABLE) return { band: 'reliable', range: '≥ 0.800', text: `α = ${fmt(a)}: reliable (α ≥ 0.800)` };
  if (a >= ALPHA_TENTATIVE) {
    return { band: 'tentative', range: '0.667–0.800', text: `α = ${fmt(a)}: tentative conclusions only (0.667 ≤ α < 0.800)` };
  }
  return { band: 'unreliable', range: '< 0.667', text: `α = ${fmt(a)}: unreliable (α < 0.667)` };
}
