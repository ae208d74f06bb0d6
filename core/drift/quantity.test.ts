import { describe, expect, it } from 'vitest';
import { sameQuantity } from './quantity';

describe('sameQuantity', () => {
  it.each([
    ['1000m', '1'],
    ['0.5Gi', '512Mi'],
    ['100m', '0.1'],
    ['1.5', '1500m'],
    ['1e3', '1k'],
    ['64Mi', '65536Ki'],
    ['2', '2'],
  ])('%s is %s', (a, b) => {
    expect(sameQuantity(a, b)).toBe(true);
  });

  it.each([
    ['1k', '1Ki'],
    ['100m', '101m'],
    ['1', 'one'],
    ['', '0'],
    ['1Mi', '1M'],
  ])('%s is not %s', (a, b) => {
    expect(sameQuantity(a, b)).toBe(false);
  });
});
