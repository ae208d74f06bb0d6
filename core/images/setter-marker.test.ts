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

  it('matches a Flux marker by name or namespace:name', () => {
    const m = parseSetterMarker('{"$imagepolicy": "flux-system:podinfo"}')!;
    expect(markerNames(m, 'podinfo')).toBe(true);
    expect(markerNames(m, 'flux-system:podinfo')).toBe(true);
    expect(markerNames(m, 'web')).toBe(false);
  });
});
