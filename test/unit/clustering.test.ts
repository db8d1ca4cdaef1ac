import { describe, expect, it } from 'vitest';
import { adjustedRandIndex, normalizedMutualInformation } from '../../models/eval/clustering';

describe('clustering agreement', () => {
  it('is 1 for the same partition under renamed labels', () => {
    const a = [0, 0, 1, 1, 2, 2];
    const b = ['x', 'x', 'y', 'y', 'z', 'z'];
    expect(normalizedMutualInformation(a, b)).toBeCloseTo(1, 10);
    expect(adjustedRandIndex(a, b)).toBeCloseTo(1, 10);
  });
  it('matches hand-computed values for a partial agreement', () => {
    // sklearn: adjusted_rand_score([0,0,0,1,1,1],[0,0,1,1,2,2]) = 0.24242..., NMI = 0.51580... (MI = 2/3 ln 2, H = (ln 2 + ln 3) / 2)
    const a = [0, 0, 0, 1, 1, 1];
    const b = [0, 0, 1, 1, 2, 2];
    expect(adjustedRandIndex(a, b)).toBeCloseTo(0.242424, 5);
    expect(normalizedMutualInformation(a, b)).toBeCloseTo(0.515803, 5);
  });
  it('rejects labelings of different length', () => {
    expect(() => adjustedRandIndex([1, 2], [1])).toThrow(/differ in length/);
  });
});
