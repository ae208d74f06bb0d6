import { describe, expect, it } from 'vitest';
import { localEnv, uniqueName } from '../../test/support/local-env';
import { StaleWriteError, VersionedItems } from './versioned-items';

// The State table in moto's DynamoDB, as the CDK stack creates it.

const items = () => new VersionedItems(localEnv().resources.tableName);

describe('VersionedItems', () => {
  it('refuses a write made from a version another writer has replaced', async () => {
    const id = `test#${uniqueName('versioned')}`;
    const store = items();
    const first = await store.get<string[], never>(id);
    expect(first).toEqual({ state: undefined, outbox: [], version: 0 });
    expect(await store.put(id, { state: ['a'], outbox: [] }, first)).toBe(1);
    // A second writer that read the record before the first wrote it.
    await expect(store.put(id, { state: ['b'], outbox: [] }, first)).rejects.toThrow(StaleWriteError);
    const v1 = await store.get<string[], never>(id);
    expect(await store.put(id, { state: ['a', 'c'], outbox: [] }, v1)).toBe(2);
    await expect(store.put(id, { state: ['d'], outbox: [] }, v1)).rejects.toThrow(StaleWriteError);
    expect((await store.get<string[], never>(id)).state).toEqual(['a', 'c']);
  });

  it('keeps the outbox with the state, and deletes a record left with neither', async () => {
    const id = `test#${uniqueName('versioned')}`;
    const store = items();
    const v = await store.put(id, { state: { n: 1 }, outbox: [{ id: 'e1' }] }, { version: 0 });
    expect((await store.get(id)).outbox).toEqual([{ id: 'e1' }]);
    expect(await store.put(id, { state: undefined, outbox: [] }, { version: v })).toBe(0);
    expect(await store.get(id)).toEqual({ state: undefined, outbox: [], version: 0 });
  });
});
