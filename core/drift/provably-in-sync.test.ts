import { describe, expect, it } from 'vitest';
import { desiredDeployment, firstContainer, liveDeployment } from './drift.fixtures';
import { provablyInSync } from './provably-in-sync';

describe('provablyInSync (the filter in front of the dry-run)', () => {
  it('passes an object whose every Git value is live and whose tidemark fields are all still in Git', () => {
    expect(provablyInSync(desiredDeployment(), liveDeployment())).toBe(true);
  });

  it('sends a changed value to the dry-run', () => {
    expect(provablyInSync(desiredDeployment(), liveDeployment({ replicas: 5 }))).toBe(false);
  });

  it('sends a value written differently (1000m for 1) to the dry-run rather than guessing', () => {
    const desired = desiredDeployment();
    firstContainer(desired).resources!.requests!.cpu = '0.1';
    expect(provablyInSync(desired, liveDeployment())).toBe(false);
  });

  it('sends an object to the dry-run when Git dropped a field tidemark owns (the apply would remove it)', () => {
    const desired = desiredDeployment();
    delete firstContainer(desired).resources;
    expect(provablyInSync(desired, liveDeployment())).toBe(false);
  });

  it('sends a label removed from Git to the dry-run', () => {
    const desired = desiredDeployment();
    desired.metadata!.labels = {};
    expect(provablyInSync(desired, liveDeployment())).toBe(false);
  });

  it('sends metadata it does not model (finalizers, ownerReferences) to the dry-run', () => {
    const desired = desiredDeployment();
    desired.metadata!.finalizers = ['x'];
    expect(provablyInSync(desired, liveDeployment())).toBe(false);
  });

  it('compares a Secret stringData with the base64 data the server stores', () => {
    const desired = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      stringData: { password: 'p4ss' },
    };
    const live = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      data: { password: 'cDRzcw==' },
      type: 'Opaque',
    };
    expect(provablyInSync(desired, live)).toBe(true);
    expect(provablyInSync(desired, { ...live, data: { password: 'b3RoZXI=' } })).toBe(false);
  });
});
