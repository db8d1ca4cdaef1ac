/**
 * What ALS and EASE have in common for serving and for the promotion gate: both load from their
 * artifact bytes, both know their item ids, and both score every item from a history of items
 * (ALS by folding the history in as a new user, EASE by summing the history's item rows). That is
 * what lets the gate score the serving version on the candidate's held-out users, whatever method
 * either of them used and whichever users either was trained on.
 */

import { loadAls, type AlsModel } from './als';
import { historyWeights, isEaseArtifact, loadEase, type EaseModel } from './ease';

export type ItemRecommender = AlsModel | EaseModel;

/** The method a model was trained with. */
export function recommenderMethod(m: ItemRecommender): 'als' | 'ease' {
  return 'kind' in m && m.kind === 'ease' ? 'ease' : 'als';
}

/** Loads an ALS or EASE artifact (told apart by its magic bytes). Throws on anything else. */
export function loadRecommender(bytes: Uint8Array): ItemRecommender {
  return isEaseArtifact(bytes) ? loadEase(bytes) : loadAls(bytes);
}

/**
 * Scores of every item of `m` (by its own item indices) for a history of its item indices with
 * optional weights. Items EASE does not model score −∞.
 */
export function scoreHistory(m: ItemRecommender, items: ArrayLike<number>, weights?: ArrayLike<number>, out?: Float64Array): Float64Array {
  if (recommenderMethod(m) === 'ease') return (m as EaseModel).scoreHistory(items, weights, out);
  const als = m as AlsModel;
  if (items.length === 0) return (out ?? new Float64Array(als.items)).fill(0);
  return als.scoreVector(als.foldInUser(items, weights), out);
}

/**
 * The history weights a model expects for a user's items with their interaction values and
 * recency ranks (0 = latest): ALS takes the values (its confidences come from them), EASE applies
 * its own value mode and recency half-life.
 */
export function historyWeightsFor(m: ItemRecommender, values: ArrayLike<number>, ranks: ArrayLike<number>): Float64Array {
  if (recommenderMethod(m) === 'ease') return historyWeights((m as EaseModel).options, values, ranks);
  return Float64Array.from(values);
}
