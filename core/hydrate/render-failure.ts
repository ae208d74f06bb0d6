import { createHash } from 'node:crypto';
import { RenderError } from '../sync/render';
import { RenderConfigError } from './render-targets';

/** Why a target did not render, with where to look: the file and, when the renderer says, the line. */
export interface RenderFailure {
  message: string;
  file?: string;
  line?: number;
  /** Equal for the same failure on a later push, so it is announced once. */
  fingerprint: string;
}

/**
 * A render error as the alert and the pull request comment show it. The file comes from the error (a RenderError
 * names it; `.tidemark/render.yaml` errors name file and line); the line from the error or from the renderer's own
 * words (`yaml: line 7:`, `at line 7, column 3`), since kustomize and Helm report lines only in their messages.
 * Paths inside `checkoutDir` are shown relative to the repository root.
 */
export function renderFailureOf(error: unknown, checkoutDir?: string): RenderFailure {
  const raw = error instanceof Error ? error.message : String(error);
  // Renderers name files by absolute path; the checkout's folder (a temp folder per revision) is not the user's, and
  // would make the same failure look new on every push.
  const message = checkoutDir ? raw.replaceAll(`${checkoutDir}/`, '').replaceAll(checkoutDir, '.') : raw;
  let file: string | undefined;
  let line: number | undefined;
  if (error instanceof RenderConfigError) {
    file = error.file;
    line = error.line;
  } else if (error instanceof RenderError) {
    file = error.file;
    const own = (error as RenderError & { line?: unknown }).line;
    line = typeof own === 'number' ? own : lineIn(message);
  } else line = lineIn(message);
  return {
    message,
    ...(file !== undefined ? { file } : {}),
    ...(line !== undefined ? { line } : {}),
    fingerprint: createHash('sha256').update(message).digest('hex').slice(0, 16),
  };
}

function lineIn(message: string): number | undefined {
  const m = /\b(?:at )?line (\d+)\b/i.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** `apps/web/overlays/dev/kustomization.yaml:7` */
export function failureWhere(failure: RenderFailure): string | undefined {
  if (failure.file === undefined) return undefined;
  return failure.line === undefined ? failure.file : `${failure.file}:${failure.line}`;
}
