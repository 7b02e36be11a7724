// Numbers as people read them: thousands separators and correct plurals (CLI output, pages).
// Byte sizes: shared/size.ts.

/** 1234567 → "1,234,567". */
export function count(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(n);
}

/** "1 object", "2 objects", "1,000 entries" (`many` for irregular plurals). */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
