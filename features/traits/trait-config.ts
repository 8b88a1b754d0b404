/**
 * Computed traits as data: which events count, how they aggregate, over which
 * event-time window, in which bucket size. Values land on the Customer vertex
 * under the trait's name, so segments can filter on them like any property.
 */
import { z } from 'zod';
import { ConfigError } from '../../graph-schema';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const segmentMatch = z.object({
  source: z.literal('segment'),
  types: z.array(z.enum(['track', 'page', 'screen', 'identify', 'group', 'alias'])).min(1),
  /** Event names (track) or page/screen names; any name when absent. */
  names: z.array(z.string()).min(1).optional(),
});

const cdcMatch = z.object({
  source: z.literal('cdc'),
  /** `schema.table`, e.g. `crm.orders`. */
  table: z.string().regex(/^[^.]+\.[^.]+$/),
  /** Creates and snapshot reads by default: an update of a row is the same thing again, not another one. */
  ops: z
    .array(z.enum(['c', 'r', 'u']))
    .min(1)
    .default(['c', 'r']),
  /** The column holding the customer key. */
  customerColumn: z.string().default('customer_id'),
});

export const traitDefinitionSchema = z
  .object({
    /** The Customer property written; a plain identifier so segment definitions can name it. */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    aggregate: z.enum(['count', 'sum', 'last']),
    /** Dotted path to the value (sum, last): into the Segment event (`properties.total`) or the CDC row (`total`). */
    value: z.string().min(1).optional(),
    windowMs: z.number().int().positive(),
    bucketMs: z.number().int().positive(),
    match: z.discriminatedUnion('source', [segmentMatch, cdcMatch]),
  })
  .refine((t) => t.aggregate === 'count' || t.value !== undefined, {
    message: 'sum and last need a value path',
    path: ['value'],
  })
  .refine((t) => t.windowMs % t.bucketMs === 0, {
    message: 'windowMs must be a whole number of buckets',
    path: ['windowMs'],
  });
export type TraitDefinition = z.infer<typeof traitDefinitionSchema>;

export const traitsConfigSchema = z.object({
  traits: z
    .array(traitDefinitionSchema)
    .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, { message: 'trait names must be unique' }),
  /**
   * Events older than the newest event time seen minus this are not counted
   * (dead-lettered `TOO_LATE`): a window's aggregate never changes for data
   * that arrives after its time has passed by more than this.
   */
  allowedLatenessMs: z.number().int().nonnegative(),
});
export type TraitsConfig = z.infer<typeof traitsConfigSchema>;
export type TraitsConfigInput = z.input<typeof traitsConfigSchema>;

const orderCompleted = { source: 'segment', types: ['track'], names: ['Order Completed'] } as const;

export const DEFAULT_TRAITS_CONFIG: TraitsConfig = {
  traits: [
    {
      name: 'views_7d',
      aggregate: 'count',
      windowMs: 7 * DAY_MS,
      bucketMs: HOUR_MS,
      match: { source: 'segment', types: ['track', 'page'], names: ['Product Viewed'] },
    },
    // Orders from the clickstream: the demo's CRM rows describe the same orders, so counting both would double them.
    { name: 'orders_30d', aggregate: 'count', windowMs: 30 * DAY_MS, bucketMs: DAY_MS, match: { ...orderCompleted } },
    {
      name: 'spend_90d',
      aggregate: 'sum',
      value: 'properties.total',
      windowMs: 90 * DAY_MS,
      bucketMs: DAY_MS,
      match: { ...orderCompleted },
    },
  ] as TraitDefinition[],
  allowedLatenessMs: HOUR_MS,
};

/** Options over defaults; a bad value fails fast naming the setting (`traits.<path>`). */
export function createTraitsConfig(options: Partial<TraitsConfigInput> = {}): TraitsConfig {
  const parsed = traitsConfigSchema.safeParse({ ...DEFAULT_TRAITS_CONFIG, ...options });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`traits.${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}
