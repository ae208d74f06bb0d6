import { isRecord } from './deep-equal';
import type { FieldPath } from './field-path';

/** What a Secret's value is shown as, everywhere: reports, logs, alerts, the drift cache. */
export const maskedValue = '(hidden)';

const secretFields = new Set(['data', 'stringData']);

/**
 * A drifted value as it may be shown. Secret values never leave the scanner: not in alerts, not in the cache, not
 * hashed (a hash of a short password is a password). The keys of `data` stay visible, so "data.password changed" is
 * still a useful alert.
 *
 * Masked at any depth of `path`: the whole object (`[]`), a whole map that one side lacks (`['data']`, the finding
 * `data {"password": …} → (absent)`), or one value (`['data', 'password']`).
 */
export function maskIfSecret(kind: string, path: FieldPath, value: unknown): unknown {
  if (kind !== 'Secret' || value === undefined) return value;
  const [top] = path;
  if (path.length === 0) return maskAll(value);
  if (typeof top !== 'string' || !secretFields.has(top)) return value;
  return path.length === 1 ? maskKeys(value) : maskedValue;
}

/** A whole Secret: every value under `data` and `stringData` masked, the rest (metadata, type) as it is. */
function maskAll(value: unknown): unknown {
  if (!isRecord(value)) return maskedValue;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretFields.has(k) ? maskKeys(v) : v]));
}

/** A `data` or `stringData` map: its keys, each value masked; anything that is not a map is masked whole. */
function maskKeys(value: unknown): unknown {
  if (!isRecord(value)) return maskedValue;
  return Object.fromEntries(Object.keys(value).map((key) => [key, maskedValue]));
}
