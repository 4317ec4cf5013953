/**
 * Retrieval metrics over labelled clips, as small pure functions.
 *
 * A query q is a labelled clip; its neighbours n_1 … n_k are the k clips nearest to it, itself
 * left out, nearest first. A neighbour is relevant when it shares at least one label with q
 * (an unlabelled neighbour never is). R_q is the number of clips in the index, q excluded, that
 * are relevant to q. With rel_i = 1 when n_i is relevant, else 0:
 *
 *   P@k(q)  = (1/k) · Σ_{i=1..k} rel_i
 *   AP@k(q) = (1/min(k, R_q)) · Σ_{i=1..k} rel_i · P@i(q)
 *
 * AP@k is 1 exactly when the first min(k, R_q) neighbours are all relevant, and it rewards
 * finding them early. A clip whose labels no other clip carries (R_q = 0) can have no hit and is
 * not a query. precision@k and mAP@k are the means of P@k and AP@k over the queries.
 */

/** precision@k of one neighbour list given as relevance flags, nearest first. */
export function precisionAtK(relevant: readonly boolean[], k: number): number {
  let hits = 0;
  for (let i = 0; i < Math.min(k, relevant.length); i++) if (relevant[i]) hits++;
  return hits / k;
}

/** AP@k of one neighbour list (relevance flags, nearest first) for a query with `relevantTotal` relevant clips. */
export function averagePrecisionAtK(relevant: readonly boolean[], k: number, relevantTotal: number): number {
  if (relevantTotal <= 0) throw new RangeError('average precision needs at least one relevant clip');
  let hits = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, relevant.length); i++) {
    if (!relevant[i]) continue;
    hits++;
    sum += hits / (i + 1);
  }
  return sum / Math.min(k, relevantTotal);
}

/** Whether two label sets share a label. */
export function sharesLabel(a: ReadonlySet<string>, b: ReadonlySet<string> | undefined): boolean {
  if (!b) return false;
  for (const label of a) if (b.has(label)) return true;
  return false;
}

export interface LabelScore {
  /** Mean over the queries carrying this label of the fraction of their k neighbours that carry it too. */
  precisionAtK: number | null;
  /** Clips in the index that carry this label. */
  support: number;
}

export interface RetrievalScores {
  k: number;
  /** Labelled clips that are queries (some other clip shares a label with them). */
  queries: number;
  precisionAtK: number;
  meanAveragePrecision: number;
  /** By label, sorted by name. A label on a single clip has no query and a null precision. */
  perLabel: Record<string, LabelScore>;
}

/**
 * Scores neighbour lists. `labels[c]` is clip c's label set (undefined: unlabelled);
 * `neighbours(q)` gives query q's k nearest clips (q itself left out), nearest first.
 */
export function scoreRetrieval(
  labels: readonly (ReadonlySet<string> | undefined)[],
  k: number,
  neighbours: (query: number) => readonly number[],
): RetrievalScores {
  const clipsWith = new Map<string, number[]>();
  labels.forEach((set, clip) => {
    for (const label of set ?? []) {
      if (!clipsWith.has(label)) clipsWith.set(label, []);
      clipsWith.get(label)!.push(clip);
    }
  });
  const support = new Map([...clipsWith].map(([label, clips]) => [label, clips.length]));

  let queries = 0;
  let precisionSum = 0;
  let apSum = 0;
  const perLabelSum = new Map<string, { sum: number; queries: number }>();
  labels.forEach((own, query) => {
    if (!own) return;
    const relevantTotal = countRelevant(own, clipsWith) - 1;
    if (relevantTotal === 0) return;
    const found = neighbours(query).slice(0, k);
    const relevant = found.map((clip) => sharesLabel(own, labels[clip]));
    queries++;
    precisionSum += precisionAtK(relevant, k);
    apSum += averagePrecisionAtK(relevant, k, relevantTotal);
    for (const label of own) {
      if (support.get(label)! < 2) continue;
      const entry = perLabelSum.get(label) ?? { sum: 0, queries: 0 };
      entry.sum += precisionAtK(found.map((clip) => labels[clip]?.has(label) ?? false), k);
      entry.queries++;
      perLabelSum.set(label, entry);
    }
  });

  const perLabel: Record<string, LabelScore> = {};
  for (const label of [...support.keys()].sort()) {
    const entry = perLabelSum.get(label);
    perLabel[label] = { precisionAtK: entry ? entry.sum / entry.queries : null, support: support.get(label)! };
  }
  return {
    k,
    queries,
    precisionAtK: queries ? precisionSum / queries : 0,
    meanAveragePrecision: queries ? apSum / queries : 0,
    perLabel,
  };
}

/** Clips that carry at least one of `own`'s labels (the query among them). */
function countRelevant(own: ReadonlySet<string>, clipsWith: ReadonlyMap<string, number[]>): number {
  if (own.size === 1) return clipsWith.get([...own][0])!.length;
  const union = new Set<number>();
  for (const label of own) for (const clip of clipsWith.get(label)!) union.add(clip);
  return union.size;
}
