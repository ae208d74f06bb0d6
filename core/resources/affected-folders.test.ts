import { describe, expect, it } from 'vitest';
import { affectedResourceFolders } from './affected-folders';

const folders = [
  { name: 'dns', path: 'resources/dns' },
  { name: 'db', path: 'resources/db' },
];

describe('affectedResourceFolders', () => {
  it('wakes the folder that holds a changed path, and none for paths elsewhere', () => {
    expect(affectedResourceFolders(['resources/dns/api.yaml', 'clusters/dev/a.yaml'], false, folders)).toEqual([
      'resources/dns',
    ]);
    expect(affectedResourceFolders(['apps/web/base/deployment.yaml', 'resources/dnsx/a.yaml'], false, folders)).toEqual(
      [],
    );
  });

  it('wakes every folder when the push may not list every path', () => {
    expect(affectedResourceFolders([], true, folders)).toEqual(['resources/dns', 'resources/db']);
  });
});
