import fc from 'fast-check';
import { C360Error, type GraphStore } from '../../../graph-schema';
import { type RawMessage, readDeadLetterFile } from '../../../ingest';
import { dumpWholeGraph } from '../../helpers/graph-dump';
import { createTestPipeline, raw } from '../../helpers/hub-pipeline';

const T = (iso: string) => Date.parse(iso);

function segmentJson(event: Record<string, unknown>): string {
  return JSON.stringify({
    sentAt: event.timestamp,
    context: { library: { name: 'analytics-node', version: '2.3.0' } },
    ...event,
  });
}

function debeziumJson(table: string, op: string, before: unknown, after: unknown, lsn: number, tsIso: string): string {
  return JSON.stringify({
    before,
    after,
    source: {
      version: '3.0.8.Final',
      connector: 'postgresql',
      name: 'c360',
      ts_ms: T(tsIso),
      snapshot: 'false',
      db: 'crm',
      sequence: `["${lsn - 8}","${lsn}"]`,
      schema: 'crm',
      table,
      txId: 700 + lsn,
      lsn,
      xmin: null,
    },
    op,
    ts_ms: T(tsIso) + 5,
    transaction: null,
  });
}

const customerRow = {
  id: 'C1',
  first_name: 'Ann',
  last_name: 'Lee',
  email: 'Ann@X.io',
  phone: '+44 20 7946 0000',
  country: 'GB',
  plan: 'fiber-500',
  lifetime_value: '1200.00',
  created_at: '2025-01-01T00:00:00Z',
  updated_at: '2025-01-01T00:00:00Z',
};

/** One customer seen by every source: CRM, web, app, orders, telemetry. */
function customerStory(): RawMessage[] {
  return [
    raw('cdc', debeziumJson('customers', 'c', null, customerRow, 1000, '2026-11-01T09:00:00Z')),
    raw(
      'segment',
      segmentJson({
        type: 'page',
        messageId: 'p-1',
        anonymousId: 'a1',
        name: 'Home',
        timestamp: '2026-11-01T09:30:00.000Z',
      }),
    ),
    raw(
      'segment',
      segmentJson({
        type: 'identify',
        messageId: 'i-1',
        userId: 'C1',
        anonymousId: 'a1',
        traits: { email: 'ann@x.io', name: 'Ann Lee' },
        timestamp: '2026-11-01T09:31:00.000Z',
      }),
    ),
    raw(
      'segment',
      segmentJson({
        type: 'track',
        messageId: 't-1',
        userId: 'C1',
        anonymousId: 'a1',
        event: 'Order Completed',
        properties: {
          order_id: 'W-1',
          total: 59.9,
          currency: 'GBP',
          products: [
            { product_id: 'SKU-TV', name: 'TV box', price: 49.9, quantity: 1, category: 'tv' },
            { product_id: 'SKU-HDMI', name: 'HDMI cable', price: 10, quantity: 1, category: 'accessories' },
          ],
        },
        context: { device: { id: 'phone-1', type: 'ios', manufacturer: 'Apple', model: 'iPhone15,2' } },
        timestamp: '2026-11-01T09:40:00.000Z',
      }),
    ),
    raw(
      'cdc',
      debeziumJson(
        'orders',
        'c',
        null,
        {
          id: 77,
          customer_id: 'C1',
          status: 'placed',
          total: '19.00',
          currency: 'GBP',
          placed_at: '2026-11-01T10:00:00Z',
        },
        1100,
        '2026-11-01T10:00:00Z',
      ),
    ),
    raw(
      'telemetry',
      JSON.stringify({
        deviceId: 'router-1',
        entityId: 'C1',
        timestamp: '2026-11-01T10:05:00Z',
        seq: 1,
        indicators: { packetErrors: 2, uptimeSec: 3600 },
      }),
    ),
    raw(
      'telemetry',
      JSON.stringify({
        deviceId: 'router-1',
        entityId: 'C1',
        timestamp: '2026-11-01T10:20:00Z',
        seq: 2,
        indicators: { packetErrors: 40 },
      }),
    ),
    raw(
      'cdc',
      debeziumJson('customers', 'u', customerRow, { ...customerRow, plan: 'fiber-1000' }, 1200, '2026-11-01T11:00:00Z'),
    ),
  ];
}

/** The graph one sequential submit of `messages` writes: what any order, batching or concurrency must converge to. */
async function sequentialGraph(messages: RawMessage[]): Promise<Awaited<ReturnType<typeof dumpWholeGraph>>> {
  const baseline = await createTestPipeline();
  try {
    await baseline.pipeline.submit(messages);
    return await dumpWholeGraph(baseline.store);
  } finally {
    await baseline.close();
  }
}

/** The real store, with `apply` run through `around` (delays, holds, counting). */
function aroundApply(
  around: (apply: () => ReturnType<GraphStore['apply']>) => ReturnType<GraphStore['apply']>,
): (store: GraphStore) => GraphStore {
  return (store) =>
    new Proxy(store, {
      get(target, property, receiver) {
        if (property !== 'apply') return Reflect.get(target, property, receiver);
        return (batch: Parameters<GraphStore['apply']>[0]) => around(() => target.apply(batch));
      },
    });
}

describe('ingest pipeline on the embedded store', () => {
  it('joins every source into one customer graph', async () => {
    const t = await createTestPipeline();
    try {
      const result = await t.pipeline.submit(customerStory());
      expect(result).toMatchObject({ applied: 8, duplicates: 0, deadLettered: 0 });

      const [customer] = await t.store.getVertices(['Customer:C1']);
      expect(customer?.props).toMatchObject({
        email: 'ann@x.io',
        firstName: 'Ann',
        lastName: 'Lee',
        plan: 'fiber-1000',
        lifetimeValue: 1200,
        name: 'Ann Lee',
      });
      const [identities] = await t.store.neighbors([
        { id: 'Customer:C1', direction: 'out', edgeLabels: ['HAS_IDENTITY'], first: 50 },
      ]);
      expect(identities.items.map((n) => n.vertex.id).sort()).toEqual([
        'Identity:anonymousId:a1',
        'Identity:crmId:C1',
        'Identity:email:ann@x.io',
        'Identity:phone:+442079460000',
        'Identity:userId:C1',
      ]);

      const timeline = await t.store.timeline({ ownerIds: ['Customer:C1', 'Identity:anonymousId:a1'], first: 10 });
      expect(timeline.items.map((i) => i.vertex.id)).toEqual(['Order:77', 'Order:W-1', 'Event:t-1', 'Event:p-1']);

      const [router] = await t.store.getVertices(['Device:router-1']);
      // Per-indicator last-writer-wins: the later reading's packetErrors, the earlier one's uptime.
      expect(router?.props).toMatchObject({ ind_packetErrors: 40, ind_uptimeSec: 3600 });
      const [lines] = await t.store.neighbors([
        { id: 'Order:W-1', direction: 'out', edgeLabels: ['CONTAINS'], first: 10 },
      ]);
      expect(lines.items.map((n) => [n.vertex.id, n.edge.props.quantity])).toEqual([
        ['Product:SKU-HDMI', 1],
        ['Product:SKU-TV', 1],
      ]);
    } finally {
      await t.close();
    }
  });

  it('converges to the same graph for any order, duplicates and batch boundaries (property)', async () => {
    const story = customerStory();
    const expected = await sequentialGraph(story);
    expect(Object.keys(expected.vertices).length).toBeGreaterThan(10);

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: story.length - 1 }), { minLength: 0, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        async (duplicateIndexes, randomness, chunkSizes) => {
          // A random permutation of the story plus redelivered copies, split at random points.
          const stream = [...story, ...duplicateIndexes.map((i) => story[i])];
          const it = randomness[Symbol.iterator]();
          for (let i = stream.length - 1; i > 0; i--) {
            const j = it.next().value % (i + 1);
            [stream[i], stream[j]] = [stream[j], stream[i]];
          }
          const t = await createTestPipeline();
          try {
            let offset = 0;
            let c = 0;
            while (offset < stream.length) {
              const size = chunkSizes[c++ % chunkSizes.length];
              await t.pipeline.submit(stream.slice(offset, offset + size));
              offset += size;
            }
            expect(await dumpWholeGraph(t.store)).toEqual(expected);
          } finally {
            await t.close();
          }
        },
      ),
      { numRuns: 40 },
    );
    // A hang guard for a loaded 2-core machine, not a speed requirement.
  }, 180_000);

  it('with two store batches in flight, concurrent submits still converge to the same graph (property)', async () => {
    const story = customerStory();
    const expected = await sequentialGraph(story);
    let overlapped = 0;

    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: story.length - 1 }), { minLength: 0, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 3 })),
        async (duplicateIndexes, chunkSizes, batchMaxMutations, delays) => {
          const stream = [...story, ...duplicateIndexes.map((i) => story[i])];
          const delay = delays[Symbol.iterator]();
          let running = 0;
          let most = 0;
          const t = await createTestPipeline({
            overrides: { storeWritesInFlight: 2, batchMaxMutations },
            // Each apply held a few ms at random so that batches finish out of order.
            wrapStore: aroundApply(async (apply) => {
              running++;
              most = Math.max(most, running);
              try {
                await new Promise((r) => setTimeout(r, delay.next().value));
                return await apply();
              } finally {
                running--;
              }
            }),
          });
          try {
            const chunks: RawMessage[][] = [];
            for (let offset = 0, c = 0; offset < stream.length; ) {
              const size = chunkSizes[c++ % chunkSizes.length];
              chunks.push(stream.slice(offset, offset + size));
              offset += size;
            }
            // Every chunk at once, as Kafka partitions and HTTP requests submit.
            await Promise.all(chunks.map((chunk) => t.pipeline.submit(chunk)));
            expect(most).toBeLessThanOrEqual(2);
            if (most === 2) overlapped++;
            expect(await dumpWholeGraph(t.store)).toEqual(expected);
          } finally {
            await t.close();
          }
        },
      ),
      { numRuns: 40 },
    );
    // The property met batches really applied two at a time, not only one after the other.
    expect(overlapped).toBeGreaterThan(5);
  }, 180_000);

  it('a submit resolves only once every store batch holding its events is durable, two in flight or not', async () => {
    const story = customerStory();
    const applied: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((r) => {
      releaseFirst = r;
    });
    let calls = 0;
    const t = await createTestPipeline({
      overrides: { storeWritesInFlight: 2, batchMaxMutations: 2 },
      wrapStore: aroundApply(async (apply) => {
        const n = ++calls;
        // The first batch is held until the test lets it go; later ones pass.
        if (n === 1) await firstHeld;
        const result = await apply();
        applied.push(`batch ${n}`);
        return result;
      }),
    });
    try {
      let resolved = false;
      const submitted = t.pipeline.submit(story).then((r) => {
        resolved = true;
        return r;
      });
      // The second batch overtakes the held first one; the submit waits for both.
      for (let i = 0; i < 50 && applied.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(applied).toContain('batch 2');
      expect(applied).not.toContain('batch 1');
      expect(resolved).toBe(false);
      releaseFirst();
      expect((await submitted).applied).toBe(story.length);
      expect(applied).toContain('batch 1');
    } finally {
      releaseFirst();
      await t.close();
    }
  });

  it('refuses a store batch concurrency that is not a positive integer', async () => {
    await expect(createTestPipeline({ overrides: { storeWritesInFlight: 0 } })).rejects.toThrow(/storeWritesInFlight/);
  });

  it('dead-letters every kind of malformed input with a reason and still applies the good events', async () => {
    const t = await createTestPipeline();
    const good = customerStory();
    const bad: { message: RawMessage; code: string }[] = [
      { message: raw('segment', '{"type":"track",'), code: 'INVALID_JSON' },
      { message: raw('segment', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), code: 'INVALID_UTF8' },
      { message: raw('segment', '[]'), code: 'NOT_AN_OBJECT' },
      { message: raw('segment', ''), code: 'EMPTY' },
      {
        message: raw(
          'segment',
          segmentJson({ type: 'track', messageId: 'x1', userId: 'C1', event: 42, timestamp: '2026-11-01T09:00:00Z' }),
        ),
        code: 'WRONG_TYPE',
      },
      {
        message: raw(
          'segment',
          segmentJson({ type: 'track', messageId: 'x2', event: 'No One', timestamp: '2026-11-01T09:00:00Z' }),
        ),
        code: 'MISSING_FIELD',
      },
      {
        message: raw(
          'segment',
          '{"type":"identify","messageId":"x3","userId":"C1","traits":{"__proto__":{"admin":true}}}',
        ),
        code: 'FORBIDDEN_KEY',
      },
      {
        message: raw(
          'segment',
          segmentJson({ type: 'explode', messageId: 'x4', userId: 'C1', timestamp: '2026-11-01T09:00:00Z' }),
        ),
        code: 'UNKNOWN_TYPE',
      },
      {
        message: raw(
          'segment',
          segmentJson({
            type: 'track',
            messageId: 'x5',
            userId: 'C1',
            event: 'Big',
            properties: { blob: 'x'.repeat(40_000) },
          }),
        ),
        code: 'TOO_LARGE',
      },
      { message: raw('cdc', '{"op":"c","after":{"id":"C2"}}'), code: 'MISSING_FIELD' },
      {
        message: raw('cdc', debeziumJson('invoices', 'c', null, { id: 1 }, 5000, '2026-11-01T12:00:00Z')),
        code: 'UNMAPPED_TABLE',
      },
      {
        message: raw('telemetry', '{"deviceId":"r9","timestamp":"2026-11-01T10:00:00Z","indicators":{}}'),
        code: 'EMPTY',
      },
      { message: raw('telemetry', '{"timestamp":"2026-11-01T10:00:00Z","indicators":{"a":1}}'), code: 'MISSING_FIELD' },
    ];
    try {
      // Interleave: good, bad, good, bad, …
      const stream: RawMessage[] = [];
      for (let i = 0; i < Math.max(good.length, bad.length); i++) {
        if (good[i]) stream.push(good[i]);
        if (bad[i]) stream.push(bad[i].message);
      }
      const result = await t.pipeline.submit(stream);
      expect(result.applied).toBe(good.length);
      expect(result.deadLettered).toBe(bad.length);

      const letters = await readDeadLetterFile(t.deadLetterPath);
      expect(letters.map((l) => l.code).sort()).toEqual(bad.map((b) => b.code).sort());
      for (const b of bad) {
        const l = letters.find((x) => x.position.offset === b.message.position.offset);
        expect(l).toBeDefined();
        expect(l?.code).toBe(b.code);
        expect(l?.message.length).toBeGreaterThan(10);
        // The original bytes are kept so the input can be fixed and replayed.
        expect(Buffer.from(l?.originalBase64 ?? '', 'base64').equals(b.message.value ?? Buffer.alloc(0))).toBe(true);
      }
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
      const [customer] = await t.store.getVertices(['Customer:C1']);
      expect(customer?.props.plan).toBe('fiber-1000');
      const metrics = await t.registry.getSingleMetricAsString('c360_events_dead_lettered_total');
      expect(metrics).toContain('reason="UNMAPPED_TABLE"');
    } finally {
      await t.close();
    }
  });

  it('keeps the Kafka key of a dead-lettered message', async () => {
    const t = await createTestPipeline();
    try {
      const bad = { ...raw('cdc', '{"op":"c"'), key: Buffer.from('{"id":"C7"}') };
      expect((await t.pipeline.submit([bad])).deadLettered).toBe(1);
      const [letter] = await readDeadLetterFile(t.deadLetterPath);
      expect(Buffer.from(letter.originalKeyBase64 ?? '', 'base64').toString()).toBe('{"id":"C7"}');
    } finally {
      await t.close();
    }
  });

  it('remembers applied events across a restart and skips their redelivery', async () => {
    const first = await createTestPipeline();
    const story = customerStory();
    expect((await first.pipeline.submit(story)).applied).toBe(story.length);
    const dump = await dumpWholeGraph(first.store);
    await first.close({ keepDir: true });

    const second = await createTestPipeline({ dir: first.dir });
    try {
      const again = await second.pipeline.submit(story);
      expect(again).toMatchObject({ applied: 0, duplicates: story.length });
      expect(await dumpWholeGraph(second.store)).toEqual(dump);
    } finally {
      await second.close();
    }
  });

  it('retries a retriable store failure and rejects (without marking seen) on a fatal one', async () => {
    let failures = 2;
    let fatal = false;
    const flaky = (inner: GraphStore): GraphStore =>
      new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop === 'apply') {
            return async (batch: Parameters<GraphStore['apply']>[0]) => {
              if (fatal) throw new C360Error('disk on fire', { code: 'TEST_FATAL' });
              if (failures-- > 0) throw new C360Error('connection reset', { code: 'TEST_RETRIABLE', retriable: true });
              return target.apply(batch);
            };
          }
          return Reflect.get(target, prop, receiver);
        },
      });
    const t = await createTestPipeline({ wrapStore: flaky, overrides: { storeRetryBaseMs: 1 } });
    try {
      const story = customerStory();
      expect((await t.pipeline.submit(story.slice(0, 3))).applied).toBe(3);
      fatal = true;
      await expect(t.pipeline.submit(story.slice(3))).rejects.toMatchObject({ code: 'TEST_FATAL' });
      fatal = false;
      // Nothing from the failed submit was marked seen: a retry applies it.
      expect((await t.pipeline.submit(story.slice(3))).applied).toBe(story.length - 3);
    } finally {
      await t.close();
    }
  });

  it('tells listeners which vertices the durable events touched', async () => {
    const seen: { events: number; vertexIds: string[] }[] = [];
    const t = await createTestPipeline({
      overrides: {
        onApplied: (a) => {
          seen.push({ events: a.events.length, vertexIds: [...a.vertexIds].sort() });
        },
      },
    });
    try {
      const [, page] = customerStory();
      await t.pipeline.submit([page]);
      await t.pipeline.submit([page]); // a redelivery is not news
      expect(seen).toEqual([{ events: 1, vertexIds: ['Event:p-1', 'Identity:anonymousId:a1'] }]);
    } finally {
      await t.close();
    }
  });

  it('marks events seen only after listeners finished, so a listener failure means redelivery', async () => {
    let failNext = true;
    const heard: string[] = [];
    const t = await createTestPipeline({
      overrides: {
        onApplied: async (a) => {
          if (failNext) {
            failNext = false;
            throw new C360Error('health state store unavailable', { code: 'TEST_RETRIABLE', retriable: true });
          }
          heard.push(...a.events.map((e) => e.id));
        },
      },
    });
    try {
      const [, page] = customerStory();
      await expect(t.pipeline.submit([page])).rejects.toMatchObject({ code: 'TEST_RETRIABLE' });
      // The retry is not deduped away: the listener gets the event it missed.
      expect(await t.pipeline.submit([page])).toMatchObject({ applied: 1, duplicates: 0 });
      expect(heard).toEqual(['segment:p-1']);
    } finally {
      await t.close();
    }
  });
});
