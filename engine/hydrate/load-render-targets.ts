import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRenderTargets, RENDER_FILE, type RenderTarget } from '../../core/hydrate/render-targets';

/**
 * The render targets of a checkout of the config repo, from its `.tidemark/render.yaml`; none when the file is absent
 * (a repo that renders nothing).
 *
 * @throws RenderConfigError naming the file, line and key of what is wrong.
 */
export async function loadRenderTargets(dir: string): Promise<RenderTarget[]> {
  const path = join(dir, RENDER_FILE);
  if (!existsSync(path)) return [];
  return parseRenderTargets(await readFile(path, 'utf8'), RENDER_FILE);
}
