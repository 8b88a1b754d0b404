/**
 * Dead letters for an admin over GraphQL — the same archive and replay as
 * `c360 dead-letters list|show|replay` (the data dir's file, or the dead-letter topic
 * with Kafka). A replay goes through the process's own pipeline: the hub's ingest, or
 * with Kafka the collector's producer, so the workers apply the letters with every live
 * feature; a letter still bad is dead-lettered again as a new letter, never lost.
 */
import { ApiError } from '../../../api/api-errors';
import type { GraphQLModule } from '../../../api/http-app';
import {
  type DeadLetterArchive,
  type IngestPipeline,
  type ReplayResult,
  replayDeadLetters,
  type StoredDeadLetter,
} from '../../../ingest';
import { deadLettersPolicy } from './dead-letters-policy';

const MAX_LAST = 1000;

const typeDefs = /* GraphQL */ `
  extend type Query {
    "Dead letters (admin): inputs the hub could not apply or a feature could not use, oldest first; the newest \`last\` of those that match."
    deadLetters(
      "Only this reason code (e.g. INVALID_JSON, UNMAPPED_TABLE, TOO_LATE)."
      reason: String
      "Only letters dead-lettered at or after this instant."
      since: DateTime
      "Include letters a replay already took (default true)."
      includeReplayed: Boolean
      "How many of the newest matching letters, 1..1000 (default 100)."
      last: Int
    ): [DeadLetter!]!
    "One dead letter by the id deadLetters gives (admin)."
    deadLetter(id: ID!): DeadLetter
  }

  type Mutation {
    "Replay the letters not yet replayed that match (admin); still-bad ones are dead-lettered again as new letters."
    replayDeadLetters(
      "Only this reason code."
      reason: String
      "Only letters dead-lettered at or after this instant."
      since: DateTime
      "Only these letters."
      ids: [ID!]
    ): DeadLetterReplay!
  }

  "An input the hub could not apply, kept with its reason, where it came from and its original bytes."
  type DeadLetter {
    "Stable id: a hash of the letter."
    id: ID!
    "When it was dead-lettered."
    at: DateTime!
    "Stable reason code."
    reason: String!
    "What was wrong, for a person."
    message: String!
    "segment, cdc or telemetry."
    source: String!
    "Where it came from: transport, topic, partition, offset, index in a batch."
    position: JSON!
    "The event id, when decoding got that far."
    eventId: String
    "The original bytes as UTF-8 text (null for a tombstone or a truncated original)."
    original: String
    "The original bytes, base64."
    originalBase64: String
    "When a replay took it, or null."
    replayedAt: DateTime
  }

  "What a replay did."
  type DeadLetterReplay {
    "Letters taken by this replay."
    replayed: Int!
    "Events applied (or found already applied) from them."
    applied: Int!
    "Of them, still bad: dead-lettered again as new letters."
    deadLetteredAgain: Int!
    "Letters without original bytes (tombstones, truncated originals): not replayable."
    skipped: Int!
  }
`;

export interface DeadLettersModuleDeps {
  readonly archive: DeadLetterArchive;
  /** Where replayed letters go; null where this process cannot submit (then replay is refused). */
  readonly pipeline: IngestPipeline | null;
}

export function createDeadLettersModule(deps: DeadLettersModuleDeps): GraphQLModule {
  const { archive } = deps;
  // One replay at a time: two concurrent ones would both take the same letters.
  let replaying: Promise<unknown> = Promise.resolve();
  return {
    name: 'dead-letters',
    policy: deadLettersPolicy,
    typeDefs,
    resolvers: {
      Query: {
        deadLetters: async (
          _: unknown,
          args: {
            reason?: string | null;
            since?: number | null;
            includeReplayed?: boolean | null;
            last?: number | null;
          },
        ) => {
          const last = args.last ?? 100;
          if (!Number.isInteger(last) || last < 1 || last > MAX_LAST) {
            throw new ApiError('BAD_USER_INPUT', `last must be 1..${MAX_LAST}`, { argument: 'last' });
          }
          const letters = await archive.list({
            ...(args.reason ? { reason: args.reason } : {}),
            ...(args.since != null ? { sinceMs: args.since } : {}),
            includeReplayed: args.includeReplayed ?? true,
          });
          return letters.slice(-last);
        },
        deadLetter: async (_: unknown, args: { id: string }) =>
          (await archive.list()).find((l) => l.id === args.id) ?? null,
      },
      Mutation: {
        replayDeadLetters: (
          _: unknown,
          args: { reason?: string | null; since?: number | null; ids?: readonly string[] | null },
        ): Promise<ReplayResult> => {
          const pipeline = deps.pipeline;
          if (!pipeline)
            throw new ApiError('BAD_USER_INPUT', 'this process does not ingest; replay on the hub or a worker');
          const run = replaying.then(async () => {
            const ids = args.ids ? new Set(args.ids) : null;
            const letters = (
              await archive.list({
                ...(args.reason ? { reason: args.reason } : {}),
                ...(args.since != null ? { sinceMs: args.since } : {}),
                includeReplayed: false,
              })
            ).filter((l) => ids === null || ids.has(l.id));
            return replayDeadLetters(letters, pipeline, archive);
          });
          replaying = run.catch(() => undefined);
          return run;
        },
      },
      DeadLetter: {
        reason: (l: StoredDeadLetter) => l.code,
        source: (l: StoredDeadLetter) => l.position.source,
        eventId: (l: StoredDeadLetter) => l.eventId ?? null,
        original: (l: StoredDeadLetter) =>
          l.originalBase64 === null ? null : Buffer.from(l.originalBase64, 'base64').toString('utf8'),
      },
    },
  };
}
