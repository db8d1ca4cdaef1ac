/**
 * The promotion gate every model goes through (sentiment, topics, recommender, segments,
 * engagement): one pure function, so the rule is the same everywhere and testable without a stack.
 *
 * The rule. A candidate is promoted only when, on ONE held-out set that the caller scored every
 * contender on in the same run:
 *  1. its figure is a finite number;
 *  2. it is strictly better than the baseline's figure (when the model has a baseline);
 *  3. it is strictly better than the serving version's figure (when a version serves and its
 *     artifact could be loaded and scored);
 *  4. the held-out set is not too small to tell (when the caller gives its size and minimum).
 * A tie never promotes: replacing a serving model costs a rescore and churns what users see, and
 * a tie is no evidence of improvement. A serving version whose artifact is missing or unreadable
 * cannot be scored; the decision then rests on the baseline alone and the reason says so (with no
 * baseline either, such a candidate is promoted: something that works beats something that
 * cannot be loaded). With no serving version, the candidate needs only to beat the baseline.
 *
 * Every figure is "higher is better" (macro recall, NPMI, NDCG@10, ARI/silhouette, AUC).
 */

/** What a serving version scored on the candidate's held-out data, or why it could not be scored. */
export type ServingFigure = { version: number; value: number } | { version: number; missing: string };

export interface GateInput {
  /** the figure's name as recorded (e.g. 'ndcg10', 'auc'); used in the reason */
  metric: string;
  /** the candidate's figure on the held-out data */
  candidate: number;
  /** the baseline's figure on the same held-out data, with its name; null when the model has none */
  baseline: { name: string; value: number } | null;
  /** the serving version's figure on the same held-out data; null when nothing serves */
  serving: ServingFigure | null;
  /** digits in the reason (default 4) */
  digits?: number;
  /**
   * How many items the figures were measured on, and the fewest a decision needs (rule 4): on a handful of held-out
   * posts a difference of figures is noise, and a promoted version serves every source
   */
  heldOut?: { count: number; min: number; what: string };
}

export interface GateDecision {
  promote: boolean;
  /** one line for people: every figure compared, and the verdict */
  reason: string;
  /** what the candidate had to beat: the serving version, only the baseline, or nothing at all */
  comparedWith: 'serving' | 'baseline' | 'none';
}

/**
 * Decides promotion (see the module comment for the rule). Pure; throws only on a malformed
 * input (an empty metric name, a non-integer serving version).
 */
export function promotionGate(input: GateInput): GateDecision {
  const { metric, candidate, baseline, serving } = input;
  if (!metric) throw new Error('promotionGate: metric name is empty');
  if (serving && !(Number.isInteger(serving.version) && serving.version >= 1))
    throw new Error(`promotionGate: serving version must be a positive integer, got ${serving.version}`);
  const d = input.digits ?? 4;
  const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(d) : String(x));
  const parts = [`held-out ${metric} ${fmt(candidate)}`];
  const verdicts: string[] = [];
  const notes: string[] = [];
  let promote = Number.isFinite(candidate);
  if (!promote) verdicts.push(`the candidate's ${metric} is not a number`);
  if (input.heldOut && input.heldOut.count < input.heldOut.min) {
    promote = false;
    verdicts.push(`held out ${input.heldOut.count} ${input.heldOut.what}, fewer than the ${input.heldOut.min} a decision needs`);
  }

  if (baseline) {
    parts.push(`${baseline.name} ${fmt(baseline.value)}`);
    if (!(candidate > baseline.value) && Number.isFinite(candidate)) {
      promote = false;
      verdicts.push(candidate === baseline.value ? `ties ${baseline.name}` : `below ${baseline.name}`);
    }
  }
  let comparedWith: GateDecision['comparedWith'] = baseline ? 'baseline' : 'none';
  if (serving && 'value' in serving) {
    comparedWith = 'serving';
    if (!Number.isFinite(serving.value)) {
      // a serving model that cannot produce a figure on this data has nothing to defend beyond the baseline
      notes.push(`serving v${serving.version} gave no figure on the same data`);
    } else {
      parts.push(`serving v${serving.version} ${fmt(serving.value)} on the same data`);
      if (!(candidate > serving.value) && Number.isFinite(candidate)) {
        promote = false;
        verdicts.push(candidate === serving.value ? `ties serving v${serving.version} (a tie does not promote)` : `below serving v${serving.version}`);
      }
    }
  } else if (serving) {
    notes.push(`serving v${serving.version} not compared: ${serving.missing}; ${baseline ? 'compared with the baseline only' : 'no baseline either'}`);
  } else {
    notes.push(baseline ? 'nothing serves' : 'nothing serves, no baseline: first version');
  }
  const verdict = promote ? 'promoted' : `kept out: ${verdicts.join(', ')}`;
  return { promote, reason: `${[parts.join(' vs '), ...notes].join('; ')} → ${verdict}`, comparedWith };
}

/**
 * What the registry records as a version's `baseline`: the baseline's figures, and the serving
 * version's figures on the same held-out data (or why it had none), with the gate's verdict, so
 * `models show` explains every decision.
 */
export function gateRecord(
  baselineFigures: Record<string, number> | null,
  servingFigures: { version: number; figures: Record<string, number> } | { version: number; missing: string } | null,
  decision: GateDecision,
): Record<string, unknown> {
  return {
    ...(baselineFigures ?? {}),
    serving: servingFigures === null ? null : 'figures' in servingFigures ? { version: servingFigures.version, ...servingFigures.figures } : servingFigures,
    gate: { promote: decision.promote, comparedWith: decision.comparedWith, reason: decision.reason },
  };
}
