import { version } from '../package.json';

/**
 * Tidemark's version: the `version` of package.json, which a release tag matches (the release workflow refuses a
 * tag that differs) and which names the agent image `tidemark install` deploys by default. Bundles carry only this
 * field of package.json (esbuild keeps the named JSON export alone).
 */
export const tidemarkVersion: string = version;
