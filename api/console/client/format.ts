/** How values read in the console: dates, money, trait values. */

export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(typeof value === 'number' ? value : Date.parse(value));
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

export function money(total: number | null | undefined, currency: string | null | undefined): string {
  if (total === null || total === undefined) return '—';
  return `${total.toFixed(2)} ${currency ?? ''}`.trim();
}

/** A trait or property value on one line. */
export function value(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, '');
  if (typeof v === 'object' && !Array.isArray(v)) {
    return Object.values(v as Record<string, unknown>)
      .map((x) => value(x))
      .join(', ');
  }
  return JSON.stringify(v);
}

/** A display name for a customer's traits: name, else first + last name, else email, else the id. */
export function customerName(traits: Record<string, unknown> | null | undefined, id: string): string {
  const t = traits ?? {};
  const full = [t.firstName, t.lastName].filter((x) => typeof x === 'string').join(' ');
  for (const c of [t.name, full, t.email]) if (typeof c === 'string' && c.trim() !== '') return c;
  return id;
}

/** A property by its name: epoch-millisecond timestamps (ts, createdAt, lastSeen, …) read as dates. */
export function property(key: string, v: unknown): string {
  if (typeof v === 'number' && v > 1e11 && /(^ts$|At$|Seen$|_at$|Ms$)/.test(key)) return when(v);
  return value(v);
}
