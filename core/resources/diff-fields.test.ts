import { describe, expect, it } from 'vitest';
import { diffFields } from './diff-fields';

describe('diffFields', () => {
  it('names each changed field, nested ones with dots, and compares unordered lists as sets', () => {
    expect(
      diffFields(
        { ttl: 300, values: ['b', 'a'], alias: { dnsName: 'x', zone: 'Z1' } },
        { ttl: 60, values: ['a', 'b'], alias: { dnsName: 'y', zone: 'Z1' } },
        { unordered: ['values'] },
      ),
    ).toEqual([
      { path: 'alias.dnsName', from: 'y', to: 'x' },
      { path: 'ttl', from: 60, to: 300 },
    ]);
  });

  it('describes an object to create as changes from absent, and marks sensitive fields', () => {
    expect(diffFields({ name: 'a', token: 's3cret' }, undefined, { sensitive: ['token'] })).toEqual([
      { path: 'name', from: undefined, to: 'a' },
      { path: 'token', from: undefined, to: 's3cret', sensitive: true },
    ]);
  });
});
