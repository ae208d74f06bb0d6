/**
 * The zod that Tidemark's schemas are written with: `zod/mini`, with zod's English messages.
 *
 * Why mini: classic zod puts every method on every schema's prototype, so a bundle that uses one schema carries all
 * of zod (189 KB, a third of the webhook Lambda); mini's functions tree-shake to what is used (about 35 KB for all our
 * schemas). Why the locale here: mini registers no messages of its own, and a check without a message of ours
 * ("Too small: expected string to have >=1 characters") would read "Invalid input". `config` is global and read when
 * an error is made, so importing `z` from this module is enough to get them.
 *
 * @example
 * import * as z from '../zod';
 * const Name = z.string().check(z.regex(/^[a-z]+$/, "must be lower-case letters, such as 'web'"));
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

// Re-exported name by name (not as one `z` object), so that a bundler keeps only the functions a schema calls.
export * from 'zod/mini';
