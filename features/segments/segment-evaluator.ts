import { compareByteOrder, type Page, type StoreKind } from '../../graph-schema';
import type { SegmentDefinition } from './segment-definition';
import { SegmentError } from './segment-error';

/** What a long evaluation polls between store round trips: an AbortSignal, or a worker's shared flag. */
export interface Cancellation {
  readonly aborted: boolean;
}

export interface EvaluationTime {
  /** The instant time windows end at (epoch ms): `within: "7d"` means [now − 7d, now]. */
  readonly now: number;
  /** When it reads aborted, the evaluation stops at its next checkpoint with EVALUATION_CANCELLED. */
  readonly signal?: Cancellation;
}

/** Throws EVALUATION_CANCELLED once `signal` is aborted: called between store round trips. */
export function checkpoint(signal: Cancellation | undefined): void {
  if (signal?.aborted) throw new SegmentError('EVALUATION_CANCELLED', 'segment evaluation cancelled');
}

export interface MembersRequest extends EvaluationTime {
  readonly first: number;
  /** A customer id returned before: the page starts after it (ids ascend in UTF-8 byte order). */
  readonly after?: string | null;
}

export interface SegmentPreviewResult {
  readonly count: number;
  /** The first page of member ids (`Customer:<key>`), ascending. */
  readonly members: Page<string>;
}

/**
 * Answers a definition over the whole graph. One implementation per backend:
 * the embedded evaluator (any GraphStore; the reference), Gremlin bytecode and
 * Cypher. All of them return identical answers for the conformance suite.
 */
export interface SegmentEvaluator {
  readonly backend: StoreKind;
  count(definition: SegmentDefinition, at: EvaluationTime): Promise<number>;
  members(definition: SegmentDefinition, request: MembersRequest): Promise<Page<string>>;
  /** Count and first page together, as cheaply as the backend allows. */
  preview(definition: SegmentDefinition, request: MembersRequest): Promise<SegmentPreviewResult>;
  /** Membership of these customers only (ids `Customer:<key>`), same order; unknown ids are not members. */
  check(definition: SegmentDefinition, customerIds: readonly string[], at: EvaluationTime): Promise<boolean[]>;
}

/** UTF-8 byte order of ids, the order every store lists vertices in. */
export const compareIds = compareByteOrder;

/**
 * A compiled evaluator that hands a definition to `fallback` when its backend cannot run the
 * compiled form: JanusGraph 1.1 and Neptune serve TinkerPop 3.7, which lacks the 3.8
 * `asNumber()` step the Gremlin compiler uses for numeric trait comparisons. The answer is the
 * same (the fallback is the reference evaluator over the store's own API); it is slower, since
 * the store then ships candidates to the process instead of filtering where the data is.
 * Anything else the backend raises is the caller's, unchanged.
 */
export function withFallbackEvaluator(
  primary: SegmentEvaluator,
  fallback: SegmentEvaluator,
  cannotRun: (error: unknown) => boolean,
  onFallback?: (error: unknown) => void,
): SegmentEvaluator {
  let told = false;
  const attempt = async <T>(compiled: () => Promise<T>, reference: () => Promise<T>): Promise<T> => {
    try {
      return await compiled();
    } catch (e) {
      if (!cannotRun(e)) throw e;
      if (!told) {
        told = true;
        onFallback?.(e);
      }
      return reference();
    }
  };
  return {
    backend: primary.backend,
    count: (d, at) =>
      attempt(
        () => primary.count(d, at),
        () => fallback.count(d, at),
      ),
    members: (d, r) =>
      attempt(
        () => primary.members(d, r),
        () => fallback.members(d, r),
      ),
    preview: (d, r) =>
      attempt(
        () => primary.preview(d, r),
        () => fallback.preview(d, r),
      ),
    check: (d, ids, at) =>
      attempt(
        () => primary.check(d, ids, at),
        () => fallback.check(d, ids, at),
      ),
  };
}
