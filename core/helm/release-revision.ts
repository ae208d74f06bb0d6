import { createHash } from 'node:crypto';
import type { KubeObject } from '../sync/kube-object';

/**
 * A fingerprint of what one render of a release would install: the chart and version, the rendered objects, the values
 * from Git, and the versions (not the contents) of the ConfigMaps and Secrets its values came from. Upgrade hooks run only when it
 * differs from the last applied one, since Helm's hooks run once per `helm upgrade`, and a reconcile every minute that
 * changes nothing is not an upgrade. Secret data is left out of the hash and the sources' resourceVersions stand in
 * for it: the fingerprint is stored in the Sync's status, and a hash of a short password can be brute-forced.
 */
export function releaseRevision(input: {
  chart: string;
  version: string;
  objects: readonly KubeObject[];
  /** The values Git holds (files and inline), which Secret data rendered from them may depend on. */
  gitValues: string;
  valuesSources: readonly { kind: string; name: string; resourceVersion: string }[];
}): string {
  const hash = createHash('sha256');
  hash.update(`${input.chart}@${input.version}\n${input.gitValues}\n`);
  for (const source of [...input.valuesSources].sort((a, b) =>
    `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`),
  ))
    hash.update(`${source.kind}/${source.name}@${source.resourceVersion}\n`);
  for (const object of input.objects) hash.update(`${JSON.stringify(withoutSecretData(object))}\n`);
  return `sha256:${hash.digest('hex').slice(0, 32)}`;
}

function withoutSecretData(object: KubeObject): KubeObject {
  if (object.kind !== 'Secret' || object.apiVersion !== 'v1') return object;
  const { data: _data, stringData: _stringData, ...rest } = object;
  const keys = [...Object.keys((_data as object) ?? {}), ...Object.keys((_stringData as object) ?? {})].sort();
  return { ...rest, keys } as KubeObject;
}
