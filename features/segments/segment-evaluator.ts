import { compareByteOrder, type Page, type StoreKind } from '../../graph-schema';
import type { SegmentDefinition } from './segment-definition';

export interface EvaluationTime {
  /** The instant time windows end at (epoch ms): `within: "7d"` means [now − 7d, now]. */
  readonly now: number;
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
