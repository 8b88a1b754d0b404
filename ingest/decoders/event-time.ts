/**
 * Event times on the wire: strict ISO-8601 strings or epoch-millisecond numbers.
 *
 * `Date.parse` is not used on its own: it accepts "March 7, 2020" and "2020", and it
 * reads a date-time without an offset as LOCAL time, so the same bytes would give a
 * different version on a worker in another time zone. Here a missing offset means
 * UTC (the Segment spec says all its timestamps are UTC), and anything that is not
 * ISO-8601 is rejected with a reason.
 */
import { DecodeError } from '../errors';

/** 9999-12-31T23:59:59.999Z: the last instant a 4-digit ISO year can name. */
const MAX_EPOCH_MS = 253_402_300_799_999;

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Parse a timestamp field; `null` when absent. Rejects times before 1970 or after year 9999. */
export function parseEventTime(value: unknown, path: string): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DecodeError('INVALID_VALUE', 'timestamp is not a finite number', path);
    ms = Math.trunc(value);
  } else if (typeof value === 'string') {
    ms = parseIso8601(value, path);
  } else {
    throw new DecodeError('WRONG_TYPE', `timestamp must be an ISO-8601 string or epoch milliseconds`, path);
  }
  if (ms < 0) throw new DecodeError('INVALID_VALUE', `timestamp before 1970 (${describe(value)})`, path);
  if (ms > MAX_EPOCH_MS) throw new DecodeError('INVALID_VALUE', `timestamp after year 9999 (${describe(value)})`, path);
  return ms;
}

/**
 * An event time further in the future than the allowed clock skew would make its
 * version win every later write, so it is rejected rather than clamped.
 */
export function checkNotInFuture(ms: number, receivedAtMs: number, maxClockSkewMs: number, path: string): number {
  if (ms > receivedAtMs + maxClockSkewMs) {
    const ahead = ms - receivedAtMs;
    throw new DecodeError(
      'INVALID_VALUE',
      `event time ${new Date(ms).toISOString()} is ${ahead} ms after receipt; at most ${maxClockSkewMs} ms allowed`,
      path,
    );
  }
  return ms;
}

function parseIso8601(text: string, path: string): number {
  const m = ISO_8601.exec(text);
  if (!m) throw new DecodeError('INVALID_VALUE', `not an ISO-8601 timestamp: ${describe(text)}`, path);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new DecodeError('INVALID_VALUE', `timestamp out of range: ${describe(text)}`, path);
  }
  const millis = Number(frac.padEnd(3, '0').slice(0, 3));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; those are rejected below as "before 1970" only if we keep the real year.
  const fixed = year < 100 ? new Date(utc).setUTCFullYear(year) : utc;
  return fixed - zoneOffsetMs(zone, text, path);
}

function zoneOffsetMs(zone: string, text: string, path: string): number {
  if (zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) throw new DecodeError('INVALID_VALUE', `bad UTC offset in ${describe(text)}`, path);
  return sign * (hours * 60 + minutes) * 60_000;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function describe(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
