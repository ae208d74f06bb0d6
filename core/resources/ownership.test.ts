import { describe, expect, it } from 'vitest';
import { ownershipOf } from './ownership';

const policy = { ownerId: 'acme-dns', adoptOwnerIds: ['acme-dns-old'] };
const plain = { annotations: {} };
const adopting = { annotations: { 'tidemark.dev/adopt': 'true' } };

describe('ownershipOf', () => {
  it('is ours with our marker, and absent when nothing exists', () => {
    expect(ownershipOf(undefined, plain, policy)).toEqual({ kind: 'absent' });
    expect(ownershipOf({ state: 1, owner: 'acme-dns' }, plain, policy)).toEqual({ kind: 'ours' });
  });

  it('leaves an unmarked object alone unless the declaration asks to adopt it', () => {
    expect(ownershipOf({ state: 1, owner: null }, plain, policy)).toMatchObject({ kind: 'foreign', owner: null });
    expect(ownershipOf({ state: 1, owner: null }, adopting, policy)).toEqual({ kind: 'adopt', from: null });
  });

  it("takes another owner's object only when its id is listed in adoptOwnerIds, whatever the declaration says", () => {
    expect(ownershipOf({ state: 1, owner: 'acme-dns-old' }, plain, policy)).toEqual({
      kind: 'adopt',
      from: 'acme-dns-old',
    });
    expect(ownershipOf({ state: 1, owner: 'team-b' }, adopting, policy)).toMatchObject({
      kind: 'foreign',
      message: expect.stringContaining("add 'team-b' to its adoptOwnerIds"),
    });
  });
});
