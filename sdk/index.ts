/**
 * The reconciler SDK: what a reconciler of your own imports, and all it needs to import from Tidemark. Define one with
 * {@link defineReconciler}, name its file under `reconcilers:` in tidemark.config.yaml, map a folder to it under
 * `resources:`, and the CDK app bundles it into a Lambda that reconciles the folder on every push and scans it for
 * drift on a schedule. `examples/reconcilers/ssm-parameter.ts` is a complete one, written against this file alone.
 */
export { z } from 'zod';
export { adoptAnnotation, resourceApiVersion } from '../core/resources/declaration';
export { type DiffFieldsOptions, diffFields } from '../core/resources/diff-fields';
export {
  defineReconciler,
  type FieldChange,
  type Observed,
  PermanentError,
  type ReconcileContext,
  type ReconcileLog,
  type Reconciler,
  type ReconcilerDefinition,
  type ReconcilerModule,
  type SecretReader,
} from '../core/resources/reconciler';
