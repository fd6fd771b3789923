/**
 * Labels and measurement levels shared by the agreement statistics: what a rating may be, how
 * missing ratings are spelled (null or undefined), and how categories are put in order (weighted κ,
 * ordinal α). Categories are compared with SameValueZero (a Map key), so 1 and "1" are different
 * labels; convert before calling if your sources mix them.
 */

/** One rating: a category name, a number on a scale, or a yes/no. */
export type Label = string | number | boolean;

/** A rating that may be missing (the rater did not rate this item). */
export type MaybeLabel = Label | null | undefined;

/** Measurement level: how far apart two different values are (Krippendorff's δ²). */
export type Level = 'nominal' | 'ordinal' | 'interval' | 'ratio';

export const LEVELS: readonly Level[] = ['nominal', 'ordinal', 'interval', 'ratio'];

export function isMissing(v: MaybeLabel): v is null | undefined {
  return v === null || v === undefined;
}

/** Throws on anything that is not a usable label (objects, NaN, ±Infinity). */
export function checkLabel(v: unknown, where: string): Label {
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`${where}: labels must be finite numbers, got ${v}`);
    return v;
  }
  throw new TypeError(`${where}: a label must be a string, number or boolean, got ${v === null ? 'null' : typeof v}`);
}

export function checkLevel(level: unknown): Level {
  if (!LEVELS.includes(level as Level)) throw new RangeError(`level must be one of ${LEVELS.join(', ')}, got ${String(level)}`);
  return level as Level;
}

const TYPE_RANK: Record<string, number> = { boolean: 0, number: 1, string: 2 };

function defaultCompare(x: Label, y: Label): number {
  const tx = TYPE_RANK[typeof x];
  const ty = TYPE_RANK[typeof y];
  if (tx !== ty) return tx - ty;
  if (typeof x === 'number') return x - (y as number);
  if (typeof x === 'boolean') return Number(x) - Number(y);
  return x < (y as string) ? -1 : x > (y as string) ? 1 : 0;
}

/** True when the labels have a natural order (all numbers, or all booleans: false < true). */
export function naturallyOrdered(labels: Iterable<Label>): boolean {
  let kind: string | null = null;
  for (const l of labels) {
    const t = typeof l;
    if (t === 'string') return false;
    if (kind !== null && kind !== t) return false;
    kind = t;
  }
  return true;
}

/**
 * The categories in order. With `given`, that order is used as is (it may hold categories nobody
 * chose; they still count as positions for weighted κ) and every seen label must be in it.
 * Without it: numbers ascending, false before true, strings by code unit. When `needOrder` is set
 * (weighted κ, ordinal α) and the labels are strings, there is no order to guess: throws.
 */
export function orderCategories(seen: Iterable<Label>, given: readonly Label[] | undefined, needOrder: string | null): Label[] {
  const distinct = [...new Set(seen)];
  if (given !== undefined) {
    const list = given.map((g, i) => checkLabel(g, `categories[${i}]`));
    const set = new Set(list);
    if (set.size !== list.length) throw new RangeError('categories must not repeat');
    for (const l of distinct) {
      if (!set.has(l)) throw new RangeError(`label ${JSON.stringify(l)} is not in the given categories`);
    }
    return list;
  }
  if (needOrder !== null && !naturallyOrdered(distinct)) {
    throw new RangeError(`${needOrder} needs the order of the categories: pass {categories: [...]} for text labels`);
  }
  return distinct.sort(defaultCompare);
}

/** Index of each category in `categories`. */
export function indexOf(categories: readonly Label[]): Map<Label, number> {
  const m = new Map<Label, number>();
  categories.forEach((c, i) => m.set(c, i));
  return m;
}
