import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What agent/image/contents.env says goes into the agent image, as the build scripts read it. */
export interface ImageContents {
  debianSuite: string;
  debianPackages: string[];
  nodeVersion: string;
  tools: string[];
  /** Where releases are published; tagged with package.json's version. */
  repository: string;
  ecrPublicRepository: string;
  user: string;
  workdir: string;
  writable: string[];
  port: number;
  env: Record<string, string>;
  entrypoint: string[];
  cmd: string[];
}

export const contentsPath = join(import.meta.dirname, 'contents.env');

/**
 * Reads contents.env: `NAME=value` lines, values unquoted, in double quotes, or in single quotes (the JSON arrays).
 * Why not a dotenv library: the file is sourced by bash, and this reads exactly the subset bash and the Dockerfile
 * checks agree on; anything else is refused with the line.
 */
export function readImageContents(text = readFileSync(contentsPath, 'utf8')): ImageContents {
  const values = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const m = /^([A-Z_]+)=(?:"([^"]*)"|'([^']*)'|([^\s"'#]*))$/.exec(line);
    if (!m) throw new Error(`contents.env:${i + 1}: '${line}' is not NAME=value. Quote a value that has spaces`);
    values.set(m[1]!, m[2] ?? m[3] ?? m[4] ?? '');
  }
  const get = (name: string): string => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`contents.env: ${name} is missing. Restore it from git`);
    return value;
  };
  const words = (name: string) => get(name).split(/\s+/).filter(Boolean);
  return {
    debianSuite: get('IMAGE_DEBIAN_SUITE'),
    debianPackages: words('IMAGE_DEBIAN_PACKAGES'),
    nodeVersion: get('IMAGE_NODE_VERSION'),
    tools: words('IMAGE_TOOLS'),
    repository: get('IMAGE_REPOSITORY'),
    ecrPublicRepository: get('IMAGE_ECR_PUBLIC_REPOSITORY'),
    user: get('IMAGE_USER'),
    workdir: get('IMAGE_WORKDIR'),
    writable: words('IMAGE_WRITABLE'),
    port: Number(get('IMAGE_PORT')),
    env: Object.fromEntries(
      words('IMAGE_ENV').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
    entrypoint: JSON.parse(get('IMAGE_ENTRYPOINT')) as string[],
    cmd: JSON.parse(get('IMAGE_CMD')) as string[],
  };
}
