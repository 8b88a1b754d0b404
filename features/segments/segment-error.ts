import { C360Error } from '../../graph-schema';

/** One problem in a segment definition, with the JSON path to the bad part (`['and', 1, 'event', 'atLeast']`). */
export interface DefinitionIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Renders `['and', 1, 'event']` as `and[1].event` for messages. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out === '' ? '(root)' : out;
}

/** A definition a marketer wrote that c360 cannot use: never retriable; the API shows it as BAD_USER_INPUT. */
export class SegmentDefinitionError extends C360Error {
  override name = 'SegmentDefinitionError';
  readonly issues: readonly DefinitionIssue[];
  constructor(issues: readonly DefinitionIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(`invalid segment definition at ${formatPath(first?.path ?? [])}: ${first?.message ?? 'invalid'}${more}`, {
      code: 'BAD_SEGMENT_DEFINITION',
    });
    this.issues = issues;
  }
  /** Path of the first problem. */
  get path(): readonly (string | number)[] {
    return this.issues[0]?.path ?? [];
  }
}

export type SegmentErrorCode =
  | 'SEGMENT_NOT_FOUND'
  | 'SEGMENT_CYCLE'
  | 'BAD_SEGMENT_NAME'
  | 'SEGMENT_STORE_FAILED'
  /** The evaluation was told to stop (its request ran out of time or went away). */
  | 'EVALUATION_CANCELLED'
  /** The evaluation could not finish where it ran (its worker ran out of memory or died). */
  | 'EVALUATION_FAILED';

/** Saved-segment operations that failed for a reason other than the definition's shape. */
export class SegmentError extends C360Error {
  override name = 'SegmentError';
  declare readonly code: SegmentErrorCode;
  constructor(code: SegmentErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, { code, retriable: options.retriable ?? false, cause: options.cause });
  }
}
