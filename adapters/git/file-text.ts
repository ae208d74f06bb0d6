/**
 * Why a file under the asked-for paths was left out of a read. A config repo may hold symbolic links and files in
 * other encodings; reading them as text would feed a link's target path, or mangled characters, to the rewrite, which
 * writes back what it read.
 */
export interface UnreadFile {
  path: string;
  reason: string;
}

/** git's file mode of a symbolic link: the blob holds the link's target path, not a file's content. */
export const SYMLINK_MODE = '120000';

export const SYMLINK_REASON =
  'is a symbolic link, which Tidemark does not follow; name the file it points to in the policy instead';

export const NOT_UTF8_REASON = 'is not UTF-8 text, so it could not be written back byte for byte';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as UTF-8 text (a byte-order mark kept, so it is written back), or `undefined` when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
