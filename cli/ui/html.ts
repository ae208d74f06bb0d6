/**
 * HTML that is safe to send: every value interpolated into {@link html} is escaped here, in this one place, unless it
 * is itself `Html` built by this module. Pages never concatenate strings into markup, so a Sync name, a commit
 * subject or a drifted value that holds `<script>` is shown as text.
 *
 * Why by hand and not a template library: the escaping needed is the five characters of the OWASP rule for text and
 * quoted attributes, and a tagged template gives the compiler the "escaped or explicitly trusted" distinction that a
 * string-template engine would only give at run time.
 *
 * @example
 * html`<td>${sync.name}</td>`.toString() // '<td>web&lt;1&gt;</td>' for the name 'web<1>'
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The one escaping function: text and attribute values (always quoted in our templates). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

function render(value: Value): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** A URL for an `href`: only http(s) and our own paths, so a `javascript:` URL from a Sync's spec is never a link. */
export function safeHref(url: string): string | undefined {
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.toString() : undefined;
  } catch {
    return undefined;
  }
}
