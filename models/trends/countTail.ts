/**
 * Upper-tail probabilities of count distributions, in log space so that the significance of a
 * burst of 5,000 posts against an expected 100 is a finite number instead of an underflowed 0.
 *
 * Poisson(m):          P(X ≥ x) = P(x, m), the regularized lower incomplete gamma function.
 * Negative binomial with mean m and dispersion φ (variance m + φm², size k = 1/φ):
 *                      P(X ≥ x) = I_{1−p}(x, k) with p = k / (k + m), the regularized incomplete beta.
 * Both formulas hold for integer x ≥ 1 and extend smoothly to real x (a weighted count), which is how
 * non-integer observations are scored. x ≤ 0 has tail probability 1.
 *
 * Numerics: Lanczos log-gamma and the continued fractions of Numerical Recipes (Lentz's method),
 * evaluated on the side where they converge; the other side is 1 − (the converging one), via log1p.
 */

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(z) for z > 0 (Lanczos, g = 7; relative error about 1e-15). */
export function logGamma(z: number): number {
  if (!(z > 0)) throw new RangeError(`logGamma needs z > 0, got ${z}`);
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const x = z - 1;
  let a = LANCZOS[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITER = 1000;

/** log of the continued fraction of the incomplete beta function (NR `betacf`). */
function logBetaCf(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.log(h);
}

/** ln I_x(a, b), the regularized incomplete beta function, for a, b > 0 and 0 ≤ x ≤ 1. */
export function logBetaRegularized(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`incomplete beta needs 0 <= x <= 1, got ${x}`);
  if (x === 0) return -Infinity;
  if (x === 1) return 0;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return logFront + logBetaCf(x, a, b) - Math.log(a);
  // The complement converges here: I_x(a, b) = 1 − I_{1−x}(b, a).
  const other = Math.exp(logFront + logBetaCf(1 - x, b, a) - Math.log(b));
  return Math.log1p(-Math.min(other, 1));
}

/** ln P(a, x), the regularized lower incomplete gamma function, for a > 0, x ≥ 0. */
export function logGammaLowerRegularized(a: number, x: number): number {
  if (!(a > 0)) throw new RangeError(`incomplete gamma needs a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, got ${x}`);
  if (x === 0) return -Infinity;
  const logFront = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    // Series: P = e^{-x} x^a / Γ(a) · Σ x^n / (a (a+1) … (a+n)).
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < MAX_ITER; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (Math.abs(del) < Math.abs(sum) * EPS) break;
    }
    return logFront + Math.log(sum);
  }
  // Continued fraction for Q = 1 − P.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.log1p(-Math.min(1, Math.exp(logFront) * h));
}

function checkMean(mean: number): void {
  if (!(mean > 0) || !Number.isFinite(mean)) throw new RangeError(`the expected count must be a positive finite number, got ${mean}`);
}

/** ln P(X ≥ x) for X ~ Poisson(mean). @throws RangeError unless mean > 0 */
export function logPoissonUpperTail(x: number, mean: number): number {
  checkMean(mean);
  if (!(x > 0)) return 0;
  return logGammaLowerRegularized(x, mean);
}

/**
 * ln P(X ≥ x) for X negative binomial with the given mean and dispersion φ ≥ 0 (variance
 * mean + φ·mean²). φ = 0 (or below 1e-9, where the two agree to many digits) is the Poisson tail.
 * @throws RangeError unless mean > 0 and φ ≥ 0
 */
export function logNegBinomialUpperTail(x: number, mean: number, dispersion: number): number {
  checkMean(mean);
  if (!(dispersion >= 0)) throw new RangeError(`dispersion must be >= 0, got ${dispersion}`);
  if (!(x > 0)) return 0;
  if (dispersion < 1e-9) return logGammaLowerRegularized(x, mean);
  const size = 1 / dispersion;
  // P(X ≤ x − 1) = I_p(k, x) with p = k / (k + m), so P(X ≥ x) = I_{1−p}(x, k).
  const q = mean / (size + mean);
  return logBetaRegularized(q, x, size);
}

/**
 * The q-quantile of Poisson(mean): the smallest integer x with P(X ≤ x) ≥ q (0 for mean 0).
 * @throws RangeError unless 0 < q < 1 and mean ≥ 0 is finite
 */
export function poissonQuantile(q: number, mean: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`q must be in (0, 1), got ${q}`);
  if (!(mean >= 0) || !Number.isFinite(mean)) throw new RangeError(`the mean must be a finite number >= 0, got ${mean}`);
  if (mean === 0) return 0;
  // from a few standard deviations below the mean, up: P(X ≤ x) = 1 − P(X ≥ x + 1)
  let x = Math.max(0, Math.floor(mean - 6 * Math.sqrt(mean) - 1));
  while (-Math.expm1(logPoissonUpperTail(x + 1, mean)) < q) x++;
  return x;
}

/** −log10 of the NB upper-tail probability: 2 = a 1-in-100 excess, 6 = 1 in a million. */
export function tailSurprise(x: number, mean: number, dispersion: number): number {
  return -logNegBinomialUpperTail(x, mean, dispersion) / Math.LN10;
}
