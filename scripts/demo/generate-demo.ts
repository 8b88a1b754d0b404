/**
 * The demo world as a stream: a Debezium snapshot of the CRM, then `days` of
 * clickstream, CRM changes and device telemetry in arrival order. Everything
 * derives from the seed; state kept while streaming is small (one bit per
 * customer, plus what is scheduled but has not arrived yet), so a million
 * customers stream without holding their events in memory.
 */
import { ConfigError } from '../../graph-schema';
import type { RawMessage, SourceKind } from '../../ingest/hub-event';
import {
  type AddressRow,
  accountRow,
  addressRow,
  type CustomerRow,
  customerRow,
  type OrderItemRow,
  type OrderRow,
  type ProductRow,
  type SupportTicketRow,
  zonedTimestamp,
} from './crm-rows';
import {
  type CustomerProfile,
  createProfile,
  DAY_MS,
  DEGRADED_EVERY,
  type DemoPlan,
  HOUR_MS,
  signupTimeMs,
} from './customer-profile';
import { type CdcChange, createDebeziumWriter, type EncodedRecord, type SnapshotMarker } from './debezium-writer';
import { centsToDecimalString, createDemoVocabulary, type Product } from './demo-vocabulary';
import { isDegradedAt, type TelemetryReport, telemetryReport } from './device-telemetry';
import { PendingQueue } from './pending-queue';
import { createPrng, hash32, type Prng } from './prng';
import {
  anonymousVisit,
  appSession,
  type ClickstreamEnv,
  type OrderLine,
  type SegmentMessage,
  webSession,
} from './segment-sessions';

export interface DemoOptions {
  readonly customers: number;
  readonly seed: number;
  /** End of the event-time window (epoch ms); defaults to now, which makes the output time-dependent. */
  readonly startMs?: number;
  /** Length of the window in days (default 30). */
  readonly days?: number;
  /** Mean clickstream sessions per customer over the window (default 8). */
  readonly sessionsPerCustomer?: number;
  /** Hours between two reports of one home device (default 12; a multiple of 0.25). */
  readonly telemetryIntervalHours?: number;
}

/** A RawMessage plus a label for counting (`segment.track`, `cdc.orders.c`, `telemetry.router`). */
export interface DemoMessage extends RawMessage {
  readonly kind: string;
}

export const DEMO_DEFAULTS = { days: 30, sessionsPerCustomer: 8, telemetryIntervalHours: 12 } as const;
export const CLICKSTREAM_TOPIC = 'c360.clickstream';
export const TELEMETRY_TOPIC = 'c360.telemetry';

const SLICE_MS = 15 * 60_000;
const SNAPSHOT_SHARE = 0.8;
const PROFILE_CACHE_SIZE = 10_000;
const FIRST_ORDER_ID = 100_001;
/** Evening peak, night trough (UTC, European customers). */
const DIURNAL = [
  0.2, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.7, 0.9, 1, 1, 1.05, 1.1, 1.05, 1, 1, 1.05, 1.2, 1.45, 1.6, 1.6, 1.3, 0.9, 0.5,
];
const DIURNAL_MEAN = DIURNAL.reduce((a, b) => a + b, 0) / DIURNAL.length;

const TICKET_SUBJECTS: readonly (readonly [string, string])[] = [
  ['Question about my bill', 'normal'],
  ['Change my plan', 'low'],
  ['Roaming charges abroad', 'normal'],
  ['Moving house — transfer my contract', 'normal'],
  ['TV channel missing', 'normal'],
  ['Cancel my subscription', 'high'],
  ['Order not delivered', 'high'],
];

function positiveInteger(setting: string, value: number, allowZero = false): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ConfigError(setting, `must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${value}`);
  }
}

export function createDemoPlan(
  options: DemoOptions,
): DemoPlan & { readonly intervalMs: number; readonly sessions: number } {
  positiveInteger('demo.customers', options.customers, true);
  if (!Number.isSafeInteger(options.seed))
    throw new ConfigError('demo.seed', `must be an integer, got ${options.seed}`);
  const days = options.days ?? DEMO_DEFAULTS.days;
  if (!(days > 0 && days <= 3650)) throw new ConfigError('demo.days', `must be in (0, 3650], got ${days}`);
  const hours = options.telemetryIntervalHours ?? DEMO_DEFAULTS.telemetryIntervalHours;
  if (!(hours >= 0.25 && Number.isInteger(hours * 4))) {
    throw new ConfigError('demo.telemetryIntervalHours', `must be a positive multiple of 0.25, got ${hours}`);
  }
  const sessions = options.sessionsPerCustomer ?? DEMO_DEFAULTS.sessionsPerCustomer;
  if (!(sessions >= 0)) throw new ConfigError('demo.sessionsPerCustomer', `must be >= 0, got ${sessions}`);
  const windowEndMs = Math.floor(options.startMs ?? Date.now());
  const seed = options.seed >>> 0;
  return {
    seed,
    customers: options.customers,
    windowEndMs,
    windowStartMs: windowEndMs - Math.round(days * DAY_MS),
    snapshotCount: Math.min(options.customers, Math.ceil(options.customers * SNAPSHOT_SHARE)),
    familyOffset: hash32(seed, 0xfa) % 8,
    degradedOffset: hash32(seed, 0xde) % DEGRADED_EVERY,
    vocabulary: createDemoVocabulary(seed),
    intervalMs: hours * HOUR_MS,
    sessions,
  };
}

type QueueItem =
  | { readonly atMs: number; seq: number; readonly kind: 'segment'; readonly message: SegmentMessage }
  | { readonly atMs: number; seq: number; readonly kind: 'telemetry'; readonly report: TelemetryReport }
  | {
      readonly atMs: number;
      seq: number;
      readonly kind: 'cdc';
      readonly commitMs: number;
      /** Evaluated on arrival, so ids and before-images follow commit order. */
      readonly build: () => readonly CdcChange[];
    };

interface HistoricalOrder {
  readonly order: OrderRow;
  readonly items: readonly OrderItemRow[];
}

function orderLines(prng: Prng, catalog: readonly Product[], priceOf: (p: Product) => number): OrderLine[] {
  const lines: OrderLine[] = [];
  for (let i = 0, n = prng.between(1, 3); i < n; i++) {
    const product = prng.pick(catalog);
    if (lines.some((line) => line.product.sku === product.sku)) continue;
    lines.push({ product, quantity: prng.chance(0.15) ? 2 : 1, unitPriceCents: priceOf(product) });
  }
  return lines;
}

function orderRows(
  id: number,
  profile: CustomerProfile,
  lines: readonly OrderLine[],
  status: string,
  placedAtMs: number,
): HistoricalOrder {
  const total = lines.reduce((sum, line) => sum + line.unitPriceCents * line.quantity, 0);
  return {
    order: {
      id,
      customer_id: profile.id,
      status,
      total: centsToDecimalString(total),
      currency: profile.country.currency,
      placed_at: zonedTimestamp(placedAtMs),
    },
    items: lines.map((line) => ({
      order_id: id,
      sku: line.product.sku,
      quantity: line.quantity,
      unit_price: centsToDecimalString(line.unitPriceCents),
    })),
  };
}

/**
 * Generates the demo. Iterating twice with the same options (and an explicit
 * `startMs`) yields byte-identical messages.
 */
export function* generateDemo(options: DemoOptions): Generator<DemoMessage, void, undefined> {
  const plan = createDemoPlan(options);
  // Profiles are pure functions of the index; remembering recent ones spares recomputing them for every report.
  const profiles = new Map<number, CustomerProfile>();
  const profileOf = (index: number): CustomerProfile => {
    let profile = profiles.get(index);
    if (profile === undefined) {
      if (profiles.size >= PROFILE_CACHE_SIZE) profiles.clear();
      profile = createProfile(plan, index);
      profiles.set(index, profile);
    }
    return profile;
  };
  const { vocabulary, windowStartMs, windowEndMs, customers, snapshotCount, seed } = plan;
  const catalog = vocabulary.catalog;
  const prices = new Map<string, number>(catalog.map((p) => [p.sku, p.priceCents]));
  const priceOf = (p: Product): number => prices.get(p.sku) ?? p.priceCents;
  const snapshotMs = windowStartMs - 30 * 60_000;
  const writer = createDebeziumWriter({ prng: createPrng(hash32(seed, 0xdb)), snapshotMs });
  const offsets: Record<SourceKind, number> = { segment: 0, cdc: 0, telemetry: 0 };

  const wrap = (
    source: SourceKind,
    topic: string,
    value: Buffer | null,
    key: Buffer | null,
    receivedAtMs: number,
    kind: string,
  ): DemoMessage => ({
    source,
    value,
    key,
    position: { source, transport: 'file', topic, offset: String(offsets[source]++) },
    receivedAtMs,
    kind,
  });
  const cdcMessage = (record: EncodedRecord): DemoMessage =>
    wrap('cdc', record.topic, record.value, record.key, record.receivedAtMs, `cdc.${record.kind}`);

  // ---- Snapshot: what the CRM holds when the connector starts, table by table like Debezium's initial snapshot.
  let nextOrderId = FIRST_ORDER_ID;
  let nextTicketId = 1;
  const historicalOrders = (profile: CustomerProfile): HistoricalOrder[] => {
    const prng = createPrng(hash32(seed, 0x4157, profile.index));
    if (!prng.chance(0.45)) return [];
    const out: HistoricalOrder[] = [];
    for (let k = 0, n = prng.between(1, 3); k < n; k++) {
      const placedAtMs = profile.createdAtMs + Math.floor(prng.next() * (windowStartMs - DAY_MS - profile.createdAtMs));
      const lines = orderLines(prng, catalog, (p) => p.priceCents);
      out.push(orderRows(nextOrderId++, profile, lines, prng.chance(0.05) ? 'cancelled' : 'delivered', placedAtMs));
    }
    return out;
  };
  const historicalTickets = (profile: CustomerProfile): SupportTicketRow[] => {
    const prng = createPrng(hash32(seed, 0x71c, profile.index));
    if (!prng.chance(0.2)) return [];
    const [subject, priority] = prng.pick(TICKET_SUBJECTS);
    const openedMs = profile.createdAtMs + Math.floor(prng.next() * (windowStartMs - DAY_MS - profile.createdAtMs));
    return [
      {
        id: nextTicketId++,
        customer_id: profile.id,
        channel: prng.pick(['email', 'phone', 'chat']),
        subject,
        status: 'closed',
        priority,
        opened_at: zonedTimestamp(openedMs),
      },
    ];
  };

  function* snapshotChanges(): Generator<CdcChange> {
    for (const p of catalog) {
      const after: ProductRow = {
        sku: p.sku,
        name: p.name,
        category: p.category,
        price: centsToDecimalString(p.priceCents),
      };
      yield { table: 'products', op: 'r', before: null, after };
    }
    for (let i = 0; i < snapshotCount; i++) {
      yield { table: 'customers', op: 'r', before: null, after: customerRow(profileOf(i)) };
    }
    for (let i = 0; i < snapshotCount; i++) {
      yield { table: 'addresses', op: 'r', before: null, after: addressRow(profileOf(i)) };
    }
    for (let i = 0; i < snapshotCount; i++) {
      yield { table: 'accounts', op: 'r', before: null, after: accountRow(profileOf(i)) };
    }
    // Orders and their items are read in two passes; replaying the same id counter keeps them consistent.
    const firstOrderId = nextOrderId;
    for (let i = 0; i < snapshotCount; i++) {
      for (const { order } of historicalOrders(profileOf(i)))
        yield { table: 'orders', op: 'r', before: null, after: order };
    }
    nextOrderId = firstOrderId;
    for (let i = 0; i < snapshotCount; i++) {
      for (const { items } of historicalOrders(profileOf(i))) {
        for (const item of items) yield { table: 'order_items', op: 'r', before: null, after: item };
      }
    }
    for (let i = 0; i < snapshotCount; i++) {
      for (const ticket of historicalTickets(profileOf(i))) {
        yield { table: 'support_tickets', op: 'r', before: null, after: ticket };
      }
    }
  }

  let held: CdcChange | null = null;
  let snapshotRows = 0;
  const snapshotReceived = () => snapshotMs + 1000 + Math.floor(snapshotRows / 200);
  for (const change of snapshotChanges()) {
    if (held !== null) {
      const marker: SnapshotMarker = snapshotRows === 0 ? 'first' : 'true';
      yield cdcMessage(writer.snapshotRecord(held, marker, snapshotReceived()));
      snapshotRows++;
    }
    held = change;
  }
  if (held !== null)
    yield cdcMessage(writer.snapshotRecord(held, snapshotRows === 0 ? 'first' : 'last', snapshotReceived()));

  // ---- Streaming: 15-minute slices; each slice schedules what happens in it, then releases what has arrived.
  const queue = new PendingQueue<QueueItem>();
  const identified = new Uint8Array(customers);
  const planOverrides = new Map<number, { plan: string; updatedAtMs: number }>();
  const addressOverrides = new Map<number, { id: number; line1: string; city: string; postalCode: string }>();
  let nextAddressId = customers + 1;
  const prng = createPrng(hash32(seed, 0x57e));
  const activity = (index: number): number => 0.15 + 0.85 * (hash32(seed, 0xac7, index) / 0x100000000);

  const pushCdc = (commitMs: number, build: () => readonly CdcChange[]): void => {
    queue.push({ atMs: commitMs + 150 + prng.int(900), seq: 0, kind: 'cdc', commitMs, build });
  };

  const scheduleOrderUpdates = (order: OrderRow, placedAtMs: number): void => {
    let current = order;
    let t = placedAtMs;
    for (const [status, minHours, maxHours] of [
      ['shipped', 18, 48],
      ['delivered', 24, 96],
    ] as const) {
      t += Math.floor(prng.range(minHours, maxHours) * HOUR_MS);
      const before = current;
      const after: OrderRow = { ...current, status };
      current = after;
      pushCdc(t, () => [{ table: 'orders', op: 'u', before, after }]);
    }
  };

  const env: ClickstreamEnv = {
    prng,
    catalog,
    priceCents: priceOf,
    emit(message, arrivalMs) {
      queue.push({ atMs: arrivalMs, seq: 0, kind: 'segment', message });
    },
    placeOrder(profile, lines, placedAtMs) {
      const { order, items } = orderRows(nextOrderId++, profile, lines, 'placed', placedAtMs);
      const commitMs = placedAtMs + 400 + prng.int(800);
      pushCdc(commitMs, () => [
        { table: 'orders', op: 'c', before: null, after: order },
        ...items.map((item): CdcChange => ({ table: 'order_items', op: 'c', before: null, after: item })),
      ]);
      scheduleOrderUpdates(order, commitMs);
      return order.id;
    },
    troubled: isDegradedAt,
  };

  const openTicket = (
    profile: CustomerProfile,
    openedMs: number,
    fields: { channel: string; subject: string; priority: string },
    resolveMs: number | null,
  ): void => {
    pushCdc(openedMs, () => {
      const ticket: SupportTicketRow = {
        id: nextTicketId++,
        customer_id: profile.id,
        ...fields,
        status: 'open',
        opened_at: zonedTimestamp(openedMs),
      };
      const working: SupportTicketRow = { ...ticket, status: 'in_progress' };
      pushCdc(openedMs + Math.floor(prng.range(0.5, 6) * HOUR_MS), () => [
        { table: 'support_tickets', op: 'u', before: ticket, after: working },
      ]);
      if (resolveMs !== null) {
        pushCdc(resolveMs, () => [
          { table: 'support_tickets', op: 'u', before: working, after: { ...working, status: 'resolved' } },
        ]);
      }
      return [{ table: 'support_tickets', op: 'c', before: null, after: ticket }];
    });
  };

  // Customers with failing routers call support; the ticket is resolved when the technician fixes the device.
  for (let i = (DEGRADED_EVERY - plan.degradedOffset) % DEGRADED_EVERY; i < customers; i += DEGRADED_EVERY) {
    const profile = profileOf(i);
    const d = profile.degradation;
    if (d?.ticketMs != null) {
      openTicket(
        profile,
        d.ticketMs,
        { channel: 'phone', subject: 'Internet keeps dropping — router restarts', priority: 'high' },
        d.recoverMs,
      );
    }
  }

  const promotions = [0.4, 0.75].map((share) => windowStartMs + Math.floor((windowEndMs - windowStartMs) * share));
  const slices = Math.ceil((windowEndMs - windowStartMs) / SLICE_MS);
  const slotsPerInterval = plan.intervalMs / SLICE_MS;
  let signedUp = snapshotCount; // customers whose CRM row exists
  let active = snapshotCount; // customers who signed up more than an hour ago: safe to pick for activity

  for (let s = 0; s < slices; s++) {
    const sliceStart = windowStartMs + s * SLICE_MS;
    const sliceEnd = Math.min(sliceStart + SLICE_MS, windowEndMs);
    const at = (): number => sliceStart + prng.int(sliceEnd - sliceStart);
    while (active < signedUp && (signupTimeMs(plan, active) ?? 0) < sliceStart - HOUR_MS) active++;

    // New customers: an anonymous visit that ends in the signup form, then the CRM insert.
    while (signedUp < customers && (signupTimeMs(plan, signedUp) ?? 0) < sliceEnd) {
      const profile = profileOf(signedUp);
      const end = webSession(env, profile, profile.signupMs!, {
        anonymousId: profile.web.anonymousId,
        loggedIn: false,
        logIn: true,
        alias: false,
        signUp: true,
      });
      identified[signedUp] = 1;
      pushCdc(end + 1000, () => [
        { table: 'customers', op: 'c', before: null, after: customerRow(profile) },
        { table: 'addresses', op: 'c', before: null, after: addressRow(profile) },
        { table: 'accounts', op: 'c', before: null, after: accountRow(profile) },
      ]);
      signedUp++;
    }

    const hour = new Date(sliceStart).getUTCHours();
    const rate = (active * plan.sessions * (SLICE_MS / (windowEndMs - windowStartMs)) * DIURNAL[hour]) / DIURNAL_MEAN;
    if (active > 0) {
      for (let n = prng.poisson(rate); n > 0; n--) {
        let index = prng.int(active);
        while (!prng.chance(activity(index))) index = prng.int(active);
        customerSession(profileOf(index), at());
      }
    }
    for (let n = prng.poisson(rate * 0.2); n > 0; n--) {
      anonymousVisit(env, () => visitorEmail(prng), at());
    }

    const perSlice = (perCustomerOverWindow: number): number =>
      active * perCustomerOverWindow * (SLICE_MS / (windowEndMs - windowStartMs));
    for (let n = active > 0 ? prng.poisson(perSlice(0.1)) : 0; n > 0; n--) {
      const profile = profileOf(prng.int(active));
      const [subject, priority] = prng.pick(TICKET_SUBJECTS);
      const openedMs = at();
      openTicket(
        profile,
        openedMs,
        { channel: prng.pick(['email', 'chat', 'phone', 'app']), subject, priority },
        openedMs + Math.floor(prng.range(2, 72) * HOUR_MS),
      );
    }
    for (let n = active > 0 ? prng.poisson(perSlice(0.03)) : 0; n > 0; n--) changePlan(prng.int(active), at());
    for (let n = active > 0 ? prng.poisson(perSlice(0.01)) : 0; n > 0; n--) moveHouse(prng.int(active), at());
    for (const promoMs of promotions) {
      if (promoMs >= sliceStart && promoMs < sliceEnd) runPromotion(promoMs);
    }

    // Each home device reports once per interval, in the slot its customer index falls into.
    for (let i = s % slotsPerInterval; i < signedUp; i += slotsPerInterval) {
      const profile = profileOf(i);
      for (const device of profile.devices) {
        const reportMs = sliceStart + (device.salt % (sliceEnd - sliceStart));
        if (reportMs < profile.devicesInstalledMs) continue;
        const seq = Math.floor((reportMs - profile.devicesInstalledMs) / plan.intervalMs) + 1;
        queue.push({
          atMs: reportMs + 200 + (device.salt % 1800),
          seq: 0,
          kind: 'telemetry',
          report: telemetryReport(profile, device, reportMs, seq),
        });
      }
    }

    const until = s === slices - 1 ? windowEndMs + 1 : sliceEnd;
    for (let item = queue.peek(); item !== undefined && item.atMs < until; item = queue.peek()) {
      queue.pop();
      switch (item.kind) {
        case 'segment':
          yield wrap(
            'segment',
            CLICKSTREAM_TOPIC,
            Buffer.from(JSON.stringify(item.message)),
            null,
            item.atMs,
            `segment.${item.message.type}`,
          );
          break;
        case 'telemetry':
          yield wrap(
            'telemetry',
            TELEMETRY_TOPIC,
            Buffer.from(JSON.stringify(item.report)),
            Buffer.from(item.report.deviceId),
            item.atMs,
            `telemetry.${item.report.deviceType}`,
          );
          break;
        case 'cdc': {
          const changes = item.build();
          if (changes.length > 0)
            for (const record of writer.transaction(changes, item.commitMs, item.atMs)) yield cdcMessage(record);
          break;
        }
        default: {
          const unreachable: never = item;
          throw new Error(`unknown queue item ${JSON.stringify(unreachable)}`);
        }
      }
    }
  }
  // Whatever is still queued (deliveries next week, phones still offline) lies after the window: not emitted.

  function customerSession(profile: CustomerProfile, startMs: number): void {
    const i = profile.index;
    if (!identified[i]) {
      identified[i] = 1;
      webSession(env, profile, startMs, {
        anonymousId: profile.web.anonymousId,
        loggedIn: false,
        logIn: true,
        alias: prng.chance(0.05),
        signUp: false,
      });
      return;
    }
    const appClient =
      profile.sharedTablet && (profile.app === null || prng.chance(0.4)) ? profile.sharedTablet : profile.app;
    if (appClient !== null && prng.chance(0.55)) {
      appSession(env, profile, startMs, {
        client: appClient,
        identifyFirst: appClient === profile.sharedTablet || prng.chance(0.1),
        offline: prng.chance(0.03),
      });
      return;
    }
    const cookieCleared = prng.chance(0.1);
    const loggedIn = !cookieCleared && prng.chance(0.7);
    webSession(env, profile, startMs, {
      anonymousId: cookieCleared ? prng.uuid() : profile.web.anonymousId,
      loggedIn,
      logIn: !loggedIn && prng.chance(0.6),
      alias: false,
      signUp: false,
    });
  }

  function changePlan(index: number, changedMs: number): void {
    const profile = profileOf(index);
    pushCdc(changedMs, () => {
      const current = planOverrides.get(index) ?? { plan: profile.plan, updatedAtMs: profile.updatedAtMs };
      const choices = profile.business
        ? ['Business Fiber', 'Business Pro']
        : ['Fiber 500', 'Fiber 1000', 'Mobile L', 'TV + Fiber Bundle'];
      const nextPlan =
        choices.find((p) => p !== current.plan && prng.chance(0.5)) ?? choices.find((p) => p !== current.plan)!;
      const next = { plan: nextPlan, updatedAtMs: changedMs };
      planOverrides.set(index, next);
      const before: CustomerRow = customerRow(profile, current);
      return [{ table: 'customers', op: 'u', before, after: customerRow(profile, next) }];
    });
  }

  function moveHouse(index: number, movedMs: number): void {
    const profile = profileOf(index);
    pushCdc(movedMs, () => {
      const words = vocabulary.countries[profile.country.code];
      const old: AddressRow = addressRow(profile, addressOverrides.get(index) ?? null);
      const next = {
        id: nextAddressId++,
        line1: `${prng.pick(words.streets)} ${prng.between(1, 180)}`,
        city: prng.pick(words.cities),
        postalCode: prng.pick(words.postalCodes),
      };
      addressOverrides.set(index, next);
      return [
        { table: 'addresses', op: 'd', before: old, after: null },
        { table: 'addresses', op: 'c', before: null, after: addressRow(profile, next) },
      ];
    });
  }

  function runPromotion(promoMs: number): void {
    for (let k = 0; k < 2; k++) {
      const product = prng.pick(catalog);
      pushCdc(promoMs + k * 1000, () => {
        const oldCents = priceOf(product);
        const newCents = Math.max(99, Math.round((oldCents * 0.85) / 100) * 100 - 1);
        prices.set(product.sku, newCents);
        const row = { sku: product.sku, name: product.name, category: product.category };
        return [
          {
            table: 'products',
            op: 'u',
            before: { ...row, price: centsToDecimalString(oldCents) },
            after: { ...row, price: centsToDecimalString(newCents) },
          },
        ];
      });
    }
  }

  function visitorEmail(random: Prng): string {
    const words = vocabulary.countries.GB;
    return `${random.pick(words.firstNames).toLowerCase()}${random.between(1, 999)}@example.com`;
  }
}
