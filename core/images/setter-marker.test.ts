import { describe, expect, it } from 'vitest';
import { markerNames, parseSetterMarker } from './setter-marker';

describe('parseSetterMarker', () => {
  it("reads Tidemark's marker", () => {
    expect(parseSetterMarker(' {"tidemark": "web"}')).toEqual({ policy: 'web', part: 'infer', dialect: 'tidemark' });
  });

  it("reads Flux's markers with every suffix", () => {
    expect(parseSetterMarker('# {"$imagepolicy": "flux-system:podinfo"}')).toMatchObject({
      policy: 'podinfo',
      namespace: 'flux-system',
      part: 'ref',
    });
    for (const part of ['tag', 'name', 'digest'] as const) {
      expect(parseSetterMarker(`{"$imagepolicy": "flux-system:podinfo:${part}"}`)?.part).toBe(part);
    }
  });

  it('ignores ordinary comments and malformed markers', () => {
    for (const c of [' keep me', '{not json}', '{"$imagepolicy": "only-name"}', '{"$imagepolicy": "a:b:size"}', '{}']) {
      expect(parseSetterMarker(c), c).toBeUndefined();
    }
  });

  it('matches a Flux marker only to the policy that maps its namespace:name', () => {
    const m = parseSetterMarker('{"$imagepolicy": "flux-system:podinfo"}')!;
    expect(markerNames(m, { name: 'podinfo', fluxImagePolicy: 'flux-system:podinfo' })).toBe(true);
    expect(markerNames(m, { name: 'web', fluxImagePolicy: 'flux-system:podinfo' })).toBe(true);
    // The namespace is part of the name: team-b's podinfo is not flux-system's.
    expect(markerNames(m, { name: 'podinfo', fluxImagePolicy: 'team-b:podinfo' })).toBe(false);
    // A policy that maps no Flux ImagePolicy answers to no Flux marker, whatever its name.
    expect(markerNames(m, { name: 'podinfo' })).toBe(false);
  });

  it("matches Tidemark's marker by the policy's name", () => {
    const m = parseSetterMarker('{"tidemark": "web"}')!;
    expect(markerNames(m, { name: 'web' })).toBe(true);
    expect(markerNames(m, { name: 'api', fluxImagePolicy: 'flux-system:web' })).toBe(false);
  });
});
