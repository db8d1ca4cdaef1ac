/** Classification and correlation metrics over plain arrays (pure; no I/O). */

export interface ClassificationMetrics<L extends string = string> {
  /** SemEval-2017 Task 4's AvgRec: the unweighted mean of the recalls of the classes the gold labels hold */
  macroRecall: number;
  /** the unweighted mean of the F1 of the classes in the gold labels or the predictions */
  macroF1: number;
  accuracy: number;
  /** null for a class no gold label has (its recall is 0/0) */
  perClassRecall: Record<L, number | null>;
  /** null for a class neither the gold labels nor the predictions have */
  perClassF1: Record<L, number | null>;
  n: number;
}

function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>): void {
  if (a.length !== b.length) throw new Error(`metrics: ${a.length} gold values but ${b.length} predictions`);
}

/**
 * Recall, F1 and accuracy for the given classes. A class no gold label has has no recall (null), and is left out of
 * macroRecall; a class neither in the gold labels nor predicted has no F1 either. So a classifier that is right on a
 * test set without neutral posts has macroRecall 1, as scikit-learn's recall_score(average='macro') gives, not 2/3.
 * (A class predicted but absent from the gold labels keeps its F1 of 0 in macroF1: its predictions are all wrong.)
 * A null prediction (an item the model declined, e.g. a post in a language it has no model for)
 * is a miss for its gold class and a prediction of no class.
 */
export function classificationMetrics<L extends string>(gold: readonly L[], predicted: readonly (L | null)[], classes: readonly L[]): ClassificationMetrics<L> {
  checkSameLength(gold, predicted);
  const k = classes.length;
  const index = new Map<string, number>();
  classes.forEach((c, i) => index.set(c, i));
  const tp = new Float64Array(k);
  const goldCount = new Float64Array(k);
  const predCount = new Float64Array(k);
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = index.get(gold[i]);
    const p = predicted[i] === null ? undefined : index.get(predicted[i] as L);
    if (g === undefined) throw new Error(`metrics: gold label "${gold[i]}" is not one of ${classes.join(', ')}`);
    goldCount[g]++;
    if (p !== undefined) predCount[p]++;
    if (g === p) {
      tp[g]++;
      correct++;
    }
  }
  const perClassRecall = {} as Record<L, number | null>;
  const perClassF1 = {} as Record<L, number | null>;
  let recallSum = 0;
  let recallClasses = 0;
  let f1Sum = 0;
  let f1Classes = 0;
  for (let c = 0; c < k; c++) {
    const recall = goldCount[c] > 0 ? tp[c] / goldCount[c] : null;
    const precision = predCount[c] > 0 ? tp[c] / predCount[c] : 0;
    const f1 = goldCount[c] + predCount[c] === 0 ? null : precision + (recall ?? 0) > 0 ? (2 * precision * recall!) / (precision + recall!) : 0;
    perClassRecall[classes[c]] = recall;
    perClassF1[classes[c]] = f1;
    if (recall !== null) {
      recallSum += recall;
      recallClasses++;
    }
    if (f1 !== null) {
      f1Sum += f1;
      f1Classes++;
    }
  }
  return {
    macroRecall: recallClasses > 0 ? recallSum / recallClasses : 0,
    macroF1: f1Classes > 0 ? f1Sum / f1Classes : 0,
    accuracy: gold.length > 0 ? correct / gold.length : 0,
    perClassRecall,
    perClassF1,
    n: gold.length,
  };
}

export function macroRecall<L extends string>(gold: readonly L[], predicted: readonly L[], classes: readonly L[]): number {
  return classificationMetrics(gold, predicted, classes).macroRecall;
}

export function macroF1<L extends string>(gold: readonly L[], predicted: readonly L[], classes: readonly L[]): number {
  return classificationMetrics(gold, predicted, classes).macroF1;
}

export function perClassRecall<L extends string>(gold: readonly L[], predicted: readonly L[], classes: readonly L[]): Record<L, number | null> {
  return classificationMetrics(gold, predicted, classes).perClassRecall;
}

export function accuracy<T>(gold: readonly T[], predicted: readonly T[]): number {
  checkSameLength(gold, predicted);
  if (gold.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) correct++;
  return correct / gold.length;
}

/** Pearson correlation; NaN when either side has no variance (correlation is undefined there). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y);
  const n = x.length;
  if (n < 2) return Number.NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return sxy / Math.sqrt(sxx * syy);
}
