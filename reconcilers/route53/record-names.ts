/**
 * Names as Route 53 and people write them, made comparable: lower case, no trailing dot, `*` instead of Route 53's
 * `\052`. Route 53 answers `api.example.com.`; a declaration says `api`, `api.example.com` or `@` for the apex.
 */
export function normalName(name: string): string {
  return name
    .replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)))
    .replace(/\.$/, '')
    .toLowerCase();
}

/** The record set's full name within `zone`: `@` is the apex, a name without the zone gets it appended. */
export function qualify(name: string, zone: string): string {
  const z = normalName(zone);
  const n = normalName(name);
  if (n === '@' || n === z) return z;
  return n.endsWith(`.${z}`) ? n : `${n}.${z}`;
}

/**
 * The name of a record set's ownership record: `_tidemark.<type>.<name>`. One TXT record per record set, the way
 * external-dns keeps its registry, with two of its lessons built in: the type is part of the name, so a CNAME (which
 * may share its name with no other record) and several types under one name each have their own; and the prefix keeps
 * it off the record's own name, so a TXT record set of your own is never mistaken for a marker.
 */
export function ownershipRecordName(fqdn: string, type: string): string {
  return `_tidemark.${type.toLowerCase()}.${fqdn}`;
}

/** The value of an ownership record. Route 53 stores TXT values quoted. */
export function ownershipValue(ownerId: string): string {
  return `"heritage=tidemark,tidemark/owner=${ownerId}"`;
}

/** The owner id an ownership record names, or null when the record is not one of ours. */
export function ownerOf(values: readonly string[]): string | null {
  for (const value of values) {
    const match = /^"heritage=tidemark,tidemark\/owner=([a-z0-9._-]+)"$/.exec(value);
    if (match) return match[1]!;
  }
  return null;
}

/** Route 53's wire form of a TXT value: quoted, with `"` and `\` escaped, split into strings of 255 characters. */
export function txtWireValue(text: string): string {
  if (/^".*"$/s.test(text)) return text; // written in wire form already
  const quote = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  const chunks: string[] = [];
  for (let i = 0; i < text.length || i === 0; i += 255) chunks.push(`"${quote(text.slice(i, i + 255))}"`);
  return chunks.join(' ');
}
