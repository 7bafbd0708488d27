import { cmcAtK, mapAtK } from './functional';
import { type ValidationSet, perQuery, retrieve } from './embedding-metrics';

export interface QueryScore {
  /** Index into the validation set (its row order). */
  item: number;
  /** AP@k and CMC@1 of this query — the values the OVERALL metrics average. */
  ap: number;
  cmc1: number;
  /** 1-based rank of the first relevant item within the top k; null when none is there. */
  firstCorrect: number | null;
}

/**
 * Every query's own metrics at top-k, as OML's RetrievalResults shows them (and `get_worst_queries_ids` sorts
 * them): their means are exactly the OVERALL map@k and cmc@1 that `computeMetrics` reports.
 */
export function queryScores(set: ValidationSet, k: number): QueryScore[] {
  const { rr, queryIds } = retrieve(set, k);
  const { correct, nGt } = perQuery(rr);
  return Array.from(queryIds, (item, q) => {
    const first = correct[q]!.indexOf(1);
    return { item, ap: mapAtK(correct[q]!, nGt[q]!, k), cmc1: cmcAtK(correct[q]!, nGt[q]!, 1), firstCorrect: first < 0 ? null : first + 1 };
  });
}

/** Worst first: lowest AP, then a miss at 1, then the later first hit; ties keep the dataset's order. */
export function worstFirst(scores: readonly QueryScore[]): QueryScore[] {
  const rank = (s: QueryScore) => s.firstCorrect ?? Number.POSITIVE_INFINITY;
  return [...scores].sort((a, b) => a.ap - b.ap || a.cmc1 - b.cmc1 || rank(b) - rank(a) || a.item - b.item);
}
