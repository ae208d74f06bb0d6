import { isPlainObject, type KubeObject } from './kube-object';

/**
 * Whether an applied object has become what it was asked to be, in kstatus terms: `current` (done), `in-progress`
 * (the controllers are still working) or `failed` (they gave up). Kinds without a rule are current once applied.
 */
export type HealthStatus = 'current' | 'in-progress' | 'failed';

export interface Health {
  status: HealthStatus;
  message: string;
}

const current = (message = 'ready'): Health => ({ status: 'current', message });
const inProgress = (message: string): Health => ({ status: 'in-progress', message });
const failed = (message: string): Health => ({ status: 'failed', message });

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** The health of one live object, from its status as the controllers wrote it. */
export function healthOf(object: KubeObject): Health {
  const status = isPlainObject(object.status) ? object.status : {};
  const spec = isPlainObject(object.spec) ? object.spec : {};
  const num = (value: unknown, fallback = 0) => (typeof value === 'number' ? value : fallback);
  const conditions = Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];
  const condition = (type: string) => conditions.find((c) => c.type === type);
  const generation = object.metadata.generation ?? 0;
  if (['Deployment', 'StatefulSet', 'DaemonSet'].includes(object.kind)) {
    if (num(status.observedGeneration, -1) < generation) return inProgress('the controller has not seen the new spec');
  }
  switch (object.kind) {
    case 'Deployment': {
      const progressing = condition('Progressing');
      if (progressing?.reason === 'ProgressDeadlineExceeded') return failed(progressing.message ?? 'rollout stalled');
      const want = num(spec.replicas, 1);
      if (num(status.updatedReplicas) < want) return inProgress(`${num(status.updatedReplicas)}/${want} updated`);
      if (num(status.replicas) > want) return inProgress(`${num(status.replicas) - want} old replicas terminating`);
      if (num(status.availableReplicas) < want) return inProgress(`${num(status.availableReplicas)}/${want} available`);
      return current(`${want}/${want} available`);
    }
    case 'StatefulSet': {
      const want = num(spec.replicas, 1);
      if (num(status.readyReplicas) < want) return inProgress(`${num(status.readyReplicas)}/${want} ready`);
      if (num(status.updatedReplicas, want) < want) return inProgress(`${num(status.updatedReplicas)}/${want} updated`);
      if (status.updateRevision && status.currentRevision !== status.updateRevision) {
        return inProgress('rolling out a new revision');
      }
      return current(`${want}/${want} ready`);
    }
    case 'DaemonSet': {
      const want = num(status.desiredNumberScheduled);
      if (num(status.updatedNumberScheduled) < want) {
        return inProgress(`${num(status.updatedNumberScheduled)}/${want} updated`);
      }
      if (num(status.numberAvailable) < want) return inProgress(`${num(status.numberAvailable)}/${want} available`);
      return current(`${want}/${want} available`);
    }
    case 'Job': {
      if (condition('Failed')?.status === 'True') return failed(condition('Failed')?.message ?? 'job failed');
      if (condition('Complete')?.status === 'True') return current('complete');
      return inProgress('running');
    }
    case 'PersistentVolumeClaim':
      return status.phase === 'Bound' ? current('bound') : inProgress(`phase ${String(status.phase ?? 'Pending')}`);
  }
  const ready = condition('Ready');
  if (ready === undefined || ready.status === 'True') return current();
  if (condition('Stalled')?.status === 'True') return failed(condition('Stalled')?.message ?? 'stalled');
  return inProgress(ready.message || ready.reason || 'not ready');
}
