/** Robust statistics for run histories: medians, MAD, Theil–Sen slope, Mann–Kendall trend test. */

import { quantile } from '../stats.js';

// Typed-array sorts are numeric without a comparator and several times faster: the Theil–Sen slopes of a
// long history are tens of thousands of values, sorted on every history and health call.
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export function median(values: ArrayLike<number>): number | null {
  return quantile(sortedCopy(values), 0.5);
}

/** Median absolute deviation from the median (unscaled); null for an empty list. */
export function mad(values: readonly number[]): number | null {
  const m = median(values);
  return m === null ? null : median(values.map((v) => Math.abs(v - m)));
}

/**
 * Modified z-score of Iglewicz & Hoaglin: 0.6745·(x − median)/MAD, where MAD is raised to `madFloor`
 * so that very regular histories do not turn small wobbles into outliers.
 */
export function robustZ(x: number, medianValue: number, madValue: number, madFloor: number): number {
  const spread = Math.max(madValue, madFloor);
  return spread > 0 ? (0.6745 * (x - medianValue)) / spread : 0;
}

export interface TheilSen {
  /** Units of y per unit of x. */
  slope: number;
  intercept: number;
}

/** Theil–Sen estimator: the median of the pairwise slopes (pairs with equal x are skipped). */
export function theilSen(xs: readonly number[], ys: readonly number[]): TheilSen | null {
  const n = Math.min(xs.length, ys.length);
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const xi = xs[i] as number;
    const yi = ys[i] as number;
    for (let j = i + 1; j < n; j++) {
      const dx = (xs[j] as number) - xi;
      if (dx !== 0) slopes[count++] = ((ys[j] as number) - yi) / dx;
    }
  }
  const slope = quantile(slopes.subarray(0, count).sort(), 0.5);
  if (slope === null) return null;
  const intercept = median(xs.slice(0, n).map((x, i) => (ys[i] as number) - slope * x));
  return intercept === null ? null : { slope, intercept };
}

export interface MannKendall {
  /** Sum of sign(y_j − y_i) over i < j (points in x order). */
  s: number;
  /** Kendall's tau-a: s over the number of pairs, −1..1. */
  tau: number;
  /** Normal approximation with continuity correction and the tie correction of the variance. */
  z: number;
  /** Two-sided p-value of "no monotonic trend". */
  p: number;
}

/** Mann–Kendall test for a monotonic trend of ys, which must already be in time order. */
export function mannKendall(ys: readonly number[]): MannKendall | null {
  const n = ys.length;
  if (n < 3) return null;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const yi = ys[i] as number;
    for (let j = i + 1; j < n; j++) s += Math.sign((ys[j] as number) - yi);
  }
  const ties = new Map<number, number>();
  for (const y of ys) ties.set(y, (ties.get(y) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of ties.values()) tieTerm += t * (t - 1) * (2 * t + 5);
  const variance = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  const z = variance > 0 && s !== 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  const p = z === 0 ? 1 : Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  return { s, tau: s / ((n * (n - 1)) / 2), z, p };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 for erf, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** At most `max` items, evenly spaced, always keeping the first and the last. */
export function thin<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max || max < 2) return [...items];
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.round((k * (items.length - 1)) / (max - 1))] as T);
  return out;
}
