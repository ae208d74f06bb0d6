/**
 * Kubernetes resource quantities (`100m`, `1`, `0.5Gi`, `1e3`), compared by value. The API server stores a
 * quantity in a canonical spelling (`1000m` becomes `1`, `0.5Gi` becomes `512Mi`), so Git and the cluster often spell
 * the same value differently. Values are exact (BigInt), never floats: two spellings are equal only when the numbers
 * are, so equality here implies the server stores both the same way.
 */
interface ExactValue {
  /** value = digits × 10^exp10 × 2^exp2 */
  digits: bigint;
  exp10: number;
  exp2: number;
}

const binary: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimal: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** The exact value of a quantity string, or `undefined` when it is not one. */
function parse(text: string): ExactValue | undefined {
  const match = /^([+-]?)(\d+)(?:\.(\d*))?(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const [, sign = '', whole = '', fraction = '', suffix, exponent] = match;
  let digits = BigInt(`${whole}${fraction}` || '0');
  if (sign === '-') digits = -digits;
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (suffix !== undefined && suffix in binary) exp2 = binary[suffix]!;
  else if (suffix !== undefined) exp10 += decimal[suffix]!;
  else if (exponent !== undefined) exp10 += Number(exponent);
  return { digits, exp10, exp2 };
}

/**
 * True when both strings are quantities of exactly the same value.
 *
 * @example
 * sameQuantity('1000m', '1') // true
 * sameQuantity('0.5Gi', '512Mi') // true
 * sameQuantity('100m', '0.1') // true
 * sameQuantity('1k', '1Ki') // false
 */
export function sameQuantity(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return false;
  const e10 = Math.min(x.exp10, y.exp10);
  const e2 = Math.min(x.exp2, y.exp2);
  const scale = (v: ExactValue) => v.digits * 10n ** BigInt(v.exp10 - e10) * 2n ** BigInt(v.exp2 - e2);
  return scale(x) === scale(y);
}
