import { groupOf, isPlainObject, type KubeObject } from '../sync/kube-object';
import { sameQuantity } from './quantity';

/** Maps whose values are quantities, by parent and key: `resources.requests`/`limits` (containers, PVCs) and a
 * ResourceQuota's `spec.hard`. */
const quantityMaps = new Set(['resources.requests', 'resources.limits', 'spec.hard']);

/**
 * Git's object and the live one, written so that what the API server stores in another form compares equal when it
 * provably is the same, and the managedFields check can prove such objects unchanged without a dry-run:
 * - a quantity takes the live spelling when the values are equal (`1000m` for the stored `1`);
 * - a Secret's `stringData` key, which the server stores base64-encoded in `data` (and never as `stringData`, though
 *   our field manager keeps owning `stringData`), is mirrored into the live object when `data` holds exactly its
 *   encoding.
 * Anything not provably equal is left as it is, so the check (and then the dry-run) still sees the difference.
 */
export function asStored(desired: KubeObject, live: KubeObject): { desired: KubeObject; live: KubeObject } {
  return { desired: withStoredQuantities(desired, live), live: withStringDataMirrored(desired, live) };
}

function withStringDataMirrored(desired: KubeObject, live: KubeObject): KubeObject {
  if (desired.kind !== 'Secret' || !isPlainObject(desired.stringData) || live.stringData !== undefined) return live;
  const data = isPlainObject(live.data) ? live.data : {};
  const mirrored: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired.stringData)) {
    if (typeof value === 'string' && data[key] === Buffer.from(value, 'utf8').toString('base64')) mirrored[key] = value;
  }
  return { ...live, stringData: mirrored };
}

function withStoredQuantities(desired: KubeObject, live: KubeObject): KubeObject {
  // Only built-in kinds: a custom resource's `resources.limits` may hold strings that merely look like quantities.
  const group = groupOf(desired.apiVersion);
  if (group.includes('.') && !group.endsWith('.k8s.io')) return desired;
  return align(desired, live, '', '') as KubeObject;
}

function align(desired: unknown, live: unknown, parent: string, key: string): unknown {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return desired;
    return desired.map((item, i) => align(item, live[i], key, ''));
  }
  if (!isPlainObject(desired) || !isPlainObject(live)) return desired;
  const quantities = quantityMaps.has(`${parent}.${key}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    const have = live[k];
    const spelled = typeof v === 'number' ? String(v) : v;
    const same = quantities && typeof spelled === 'string' && typeof have === 'string' && sameQuantity(spelled, have);
    out[k] = same ? have : align(v, have, key, k);
  }
  return out;
}
