import { isRecord } from './deep-equal';
import type { FieldPath } from './field-path';

/** What a Secret's value is shown as, everywhere: reports, logs, alerts, the drift cache. */
export const maskedValue = '(hidden)';

const secretFields = new Set(['data', 'stringData']);

/**
 * A drifted value as it may be shown. Secret values never leave the scanner: not in alerts, not in the cache, not
 * hashed (a hash of a short password is a password). The keys of `data` stay visible, so "data.password changed" is
 * still a useful alert.
 */
export function maskIfSecret(kind: string, path: FieldPath, value: unknown): unknown {
  if (kind !== 'Secret' || value === undefined) return value;
  const top = path[0];
  if (typeof top === 'string' && secretFields.has(top)) return path.length > 1 ? maskedValue : maskAll(value);
  if (path.length === 0) return maskAll(value);
  return value;
}

function maskAll(value: unknown): unknown {
  if (!isRecord(value)) return maskedValue;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      secretFields.has(k) && isRecord(v)
        ? [k, Object.fromEntries(Object.keys(v).map((x) => [x, maskedValue]))]
        : [k, v],
    ),
  );
}
