/**
 * The customer graph model: labels, keys, property types, PII marks, indexes.
 * Pure data — every store, the API and the mappings read it; nothing here does I/O.
 *
 * Every vertex is identified by (label, key). The key is a string the mapping
 * computes (the CRM id, the messageId, `email:ann@example.com` for an Identity),
 * so the same real-world thing gets the same vertex whichever source saw it first.
 */

export const VERTEX_LABELS = [
  'Customer',
  'Identity',
  'Device',
  'Account',
  'Address',
  'Order',
  'Product',
  'Session',
  'Event',
  'Interaction',
  'HealthChange',
  'Segment',
  'State',
] as const;
export type VertexLabel = (typeof VERTEX_LABELS)[number];

export const EDGE_LABELS = [
  'HAS_IDENTITY',
  'SAME_AS',
  'USES_DEVICE',
  'OWNS',
  'BELONGS_TO',
  'HAS_ADDRESS',
  'PLACED',
  'CONTAINS',
  'PERFORMED',
  'IN_SESSION',
  'ABOUT',
  'CONTACTED',
  'HEALTH_CHANGED',
  'MEMBER_OF',
] as const;
export type EdgeLabel = (typeof EDGE_LABELS)[number];

export type PropertyType = 'string' | 'number' | 'boolean' | 'timestamp' | 'json';

export interface PropertyDef {
  readonly type: PropertyType;
  readonly description: string;
  /** Personal data: masked for roles without PII access, erased by forgetCustomer. */
  readonly pii?: boolean;
  /** Exact-match lookups (`GraphStore.lookup`) are served from an index. */
  readonly indexed?: boolean;
  /** Case-insensitive prefix search (`GraphStore.search`) is served from an index. */
  readonly searchable?: boolean;
}

export interface VertexLabelDef {
  readonly label: VertexLabel;
  readonly description: string;
  /** What the key is made of, for humans; the mappings compute it. */
  readonly key: string;
  /** Declared properties; vertices may carry undeclared ones too (schema drift is kept, not fatal). */
  readonly properties: Readonly<Record<string, PropertyDef>>;
}

export interface EdgeLabelDef {
  readonly label: EdgeLabel;
  readonly description: string;
  readonly from: readonly VertexLabel[];
  readonly to: readonly VertexLabel[];
  readonly properties: Readonly<Record<string, PropertyDef>>;
  /**
   * Timeline edges link an owner (Customer, Identity) to something that happened
   * at a time; the target's `ts` property orders the owner's timeline.
   */
  readonly timeline?: boolean;
}

const ts: PropertyDef = { type: 'timestamp', description: 'When it happened (event time, epoch ms).' };
const evidence: Readonly<Record<string, PropertyDef>> = {
  rule: { type: 'string', description: 'Which rule linked the two (identify, alias, crm, event, externalId).' },
  sourceId: { type: 'string', description: 'The event or CDC position that is the evidence.' },
  at: { type: 'timestamp', description: 'When the evidence was seen (event time, epoch ms).' },
};

export const VERTICES: Readonly<Record<VertexLabel, VertexLabelDef>> = {
  Customer: {
    label: 'Customer',
    description: 'A person or organisation the company serves: the centre of a 360° view.',
    key: 'CRM customer key or Segment userId',
    properties: {
      firstName: { type: 'string', description: 'Given name.', pii: true, searchable: true },
      lastName: { type: 'string', description: 'Family name.', pii: true, searchable: true },
      name: { type: 'string', description: 'Full name.', pii: true, searchable: true },
      email: { type: 'string', description: 'Primary email.', pii: true, searchable: true, indexed: true },
      phone: { type: 'string', description: 'Primary phone number.', pii: true, indexed: true },
      country: { type: 'string', description: 'ISO country code.' },
      plan: { type: 'string', description: 'Commercial plan or tier.' },
      lifetimeValue: { type: 'number', description: 'Lifetime spend in the account currency.' },
      createdAt: { type: 'timestamp', description: 'When the customer was created in the source system.' },
    },
  },
  Identity: {
    label: 'Identity',
    description: 'One identifier of a person: userId, email, phone, anonymousId, deviceId, crmId, …',
    key: '<type>:<normalized value>',
    properties: {
      type: { type: 'string', description: 'Identifier type.', indexed: true },
      value: { type: 'string', description: 'Normalized identifier value.', pii: true, indexed: true },
    },
  },
  Device: {
    label: 'Device',
    description: 'A phone, router, set-top box or browser the customer uses; telemetry lands here.',
    key: 'device id',
    properties: {
      type: { type: 'string', description: 'Device type or model.' },
      manufacturer: { type: 'string', description: 'Manufacturer.' },
      model: { type: 'string', description: 'Model.' },
      firmware: { type: 'string', description: 'Firmware version.' },
      lastSeen: ts,
      healthStatus: {
        type: 'string',
        description: 'GREEN, AMBER or RED as proactive care last decided it (after the hold time).',
      },
      healthSince: { type: 'timestamp', description: 'Since when (event time) the device has had that status.' },
    },
  },
  Account: {
    label: 'Account',
    description: 'A billing or service account, or a Segment group (company).',
    key: 'account id',
    properties: {
      name: { type: 'string', description: 'Account name.', searchable: true },
      status: { type: 'string', description: 'Account status.' },
      plan: { type: 'string', description: 'Plan.' },
      createdAt: { type: 'timestamp', description: 'When the account was opened.' },
    },
  },
  Address: {
    label: 'Address',
    description: 'A postal address.',
    key: 'address id',
    properties: {
      line1: { type: 'string', description: 'Street and number.', pii: true },
      city: { type: 'string', description: 'City.' },
      postalCode: { type: 'string', description: 'Postal code.', pii: true },
      country: { type: 'string', description: 'ISO country code.' },
    },
  },
  Order: {
    label: 'Order',
    description: 'A purchase.',
    key: 'order id',
    properties: {
      ts,
      status: { type: 'string', description: 'Order status.' },
      total: { type: 'number', description: 'Order total.' },
      currency: { type: 'string', description: 'ISO currency code.' },
    },
  },
  Product: {
    label: 'Product',
    description: 'Something sold.',
    key: 'product id / SKU',
    properties: {
      name: { type: 'string', description: 'Product name.', searchable: true },
      category: { type: 'string', description: 'Category.', indexed: true },
      price: { type: 'number', description: 'List price.' },
    },
  },
  Session: {
    label: 'Session',
    description: 'A web or app session.',
    key: 'session id',
    properties: { ts },
  },
  Event: {
    label: 'Event',
    description: 'A clickstream event (track, page, screen): one vertex per messageId, so replays count once.',
    key: 'messageId',
    properties: {
      ts,
      type: { type: 'string', description: 'track, page, screen, identify, group or alias.' },
      name: { type: 'string', description: 'Event or page name.' },
      properties: { type: 'json', description: 'The event properties as sent.' },
    },
  },
  Interaction: {
    label: 'Interaction',
    description: 'A support contact: ticket, call, chat.',
    key: 'ticket id',
    properties: {
      ts,
      channel: { type: 'string', description: 'phone, chat, email, …' },
      subject: { type: 'string', description: 'Subject line.', pii: true },
      status: { type: 'string', description: 'open, pending, solved, …' },
      priority: { type: 'string', description: 'Priority.' },
    },
  },
  HealthChange: {
    label: 'HealthChange',
    description:
      "A committed device-health transition of a customer's device (proactive care): the history behind Customer.health.",
    key: 'the health.changed action id without its `health:` prefix',
    properties: {
      ts: { type: 'timestamp', description: 'When the change took effect: the event time of the confirming reading.' },
      deviceId: { type: 'string', description: 'The device that changed: Device:<key>.' },
      from: { type: 'string', description: 'GREEN, AMBER or RED before.' },
      to: { type: 'string', description: 'GREEN, AMBER or RED after.' },
      since: { type: 'timestamp', description: 'When the new status started to show (event time).' },
      reasons: { type: 'json', description: 'Why, one line per rule that fired.' },
      customerStatus: { type: 'string', description: "The customer's status as of this change (its worst device)." },
    },
  },
  Segment: {
    label: 'Segment',
    description: 'A saved audience.',
    key: 'segment id',
    properties: {
      name: { type: 'string', description: 'Segment name.', searchable: true },
      definition: { type: 'json', description: 'The segment definition.' },
    },
  },
  State: {
    label: 'State',
    description:
      'Live state of a feature (device health, computed-trait windows) kept in a shared store, so that any worker can take over a partition and any API replica can read it. Internal: never served as a vertex.',
    key: '<namespace>|<key>',
    properties: {
      path: {
        type: 'string',
        description: 'The key again, searchable: the namespace prefix lists a namespace.',
        searchable: true,
      },
      value: { type: 'string', description: 'The state record as JSON text.' },
    },
  },
};

export const EDGES: Readonly<Record<EdgeLabel, EdgeLabelDef>> = {
  HAS_IDENTITY: {
    label: 'HAS_IDENTITY',
    description: 'The profile is known by this identifier (evidence edge).',
    from: ['Customer'],
    to: ['Identity'],
    properties: evidence,
  },
  SAME_AS: {
    label: 'SAME_AS',
    description:
      'Two identifiers seen together with no profile key yet (an anonymous identify with an email, context.externalIds): evidence edge.',
    from: ['Identity'],
    to: ['Identity'],
    properties: evidence,
  },
  USES_DEVICE: {
    label: 'USES_DEVICE',
    description: 'The customer or identity was seen on this device.',
    from: ['Customer', 'Identity'],
    to: ['Device'],
    properties: { lastSeen: ts },
  },
  OWNS: {
    label: 'OWNS',
    description: 'The customer owns the account.',
    from: ['Customer'],
    to: ['Account'],
    properties: {},
  },
  BELONGS_TO: {
    label: 'BELONGS_TO',
    description: 'The customer or identity belongs to a group / company account.',
    from: ['Customer', 'Identity'],
    to: ['Account'],
    properties: {},
  },
  HAS_ADDRESS: {
    label: 'HAS_ADDRESS',
    description: 'The customer lives or is billed at the address.',
    from: ['Customer'],
    to: ['Address'],
    properties: { kind: { type: 'string', description: 'billing, shipping, …' } },
  },
  PLACED: {
    label: 'PLACED',
    description: 'The customer placed the order.',
    from: ['Customer', 'Identity'],
    to: ['Order'],
    properties: {},
    timeline: true,
  },
  CONTAINS: {
    label: 'CONTAINS',
    description: 'The order contains the product.',
    from: ['Order'],
    to: ['Product'],
    properties: {
      quantity: { type: 'number', description: 'How many.' },
      price: { type: 'number', description: 'Unit price paid.' },
    },
  },
  PERFORMED: {
    label: 'PERFORMED',
    description: 'The customer or identity performed the clickstream event.',
    from: ['Customer', 'Identity'],
    to: ['Event'],
    properties: {},
    timeline: true,
  },
  IN_SESSION: {
    label: 'IN_SESSION',
    description: 'The event happened in the session.',
    from: ['Event'],
    to: ['Session'],
    properties: {},
  },
  ABOUT: {
    label: 'ABOUT',
    description: 'The event is about the product.',
    from: ['Event'],
    to: ['Product'],
    properties: {},
  },
  CONTACTED: {
    label: 'CONTACTED',
    description: 'The customer contacted support.',
    from: ['Customer'],
    to: ['Interaction'],
    properties: {},
    timeline: true,
  },
  HEALTH_CHANGED: {
    label: 'HEALTH_CHANGED',
    description: "One of the customer's devices changed health (written by proactive care, not by mappings).",
    from: ['Customer'],
    to: ['HealthChange'],
    properties: {},
    timeline: true,
  },
  MEMBER_OF: {
    label: 'MEMBER_OF',
    description: 'The customer is a member of the saved segment.',
    from: ['Customer'],
    to: ['Segment'],
    properties: {},
  },
};

export const TIMELINE_EDGE_LABELS: readonly EdgeLabel[] = EDGE_LABELS.filter((l) => EDGES[l].timeline === true);

/** Labels a mapping file may add: plain identifiers every backend accepts unquoted (Cypher, Gremlin, JanusGraph). */
export const VERTEX_LABEL_PATTERN = /^[A-Z][A-Za-z0-9]{0,62}$/;
export const EDGE_LABEL_PATTERN = /^[A-Z][A-Z0-9_]{0,62}$/;

/** Labels a mapping may not write: feature-internal records. */
export const RESERVED_VERTEX_LABELS: readonly string[] = ['State', 'Segment', 'HealthChange'];

/** Labels and properties declared by a mapping file (graph-schema/mapping-file.ts). */
export interface ModelExtension {
  readonly vertices: readonly { readonly label: string; readonly def: Omit<VertexLabelDef, 'label'> }[];
  readonly edges: readonly { readonly label: string; readonly def: Omit<EdgeLabelDef, 'label'> }[];
}

/**
 * Adds a mapping file's labels to the model, once at startup and before any store opens: every
 * store derives its schema, constraints and label checks from VERTEX_LABELS / EDGE_LABELS, so the
 * labels a user's database brings (Purchase, Article, TAGGED) are first-class labels in every
 * backend, not a generic label with a type property. Additive and idempotent; a built-in
 * label keeps its definition (a mapping may use Customer, not redefine it). See docs/cdc.md.
 */
export function extendModel(extension: ModelExtension): void {
  const vertexLabels = VERTEX_LABELS as unknown as string[];
  const edgeLabels = EDGE_LABELS as unknown as string[];
  const vertices = VERTICES as Record<string, VertexLabelDef>;
  const edges = EDGES as Record<string, EdgeLabelDef>;
  for (const { label, def } of extension.vertices) {
    if (!VERTEX_LABEL_PATTERN.test(label) || RESERVED_VERTEX_LABELS.includes(label)) {
      throw new TypeError(`extendModel: '${label}' cannot be a vertex label`);
    }
    if (vertexLabels.includes(label)) continue;
    vertexLabels.push(label);
    vertices[label] = { ...def, label: label as VertexLabel };
  }
  for (const { label, def } of extension.edges) {
    if (!EDGE_LABEL_PATTERN.test(label)) throw new TypeError(`extendModel: '${label}' cannot be an edge label`);
    if (edgeLabels.includes(label)) continue;
    edgeLabels.push(label);
    edges[label] = { ...def, label: label as EdgeLabel };
  }
}

export function isVertexLabel(value: string): value is VertexLabel {
  return (VERTEX_LABELS as readonly string[]).includes(value);
}
export function isEdgeLabel(value: string): value is EdgeLabel {
  return (EDGE_LABELS as readonly string[]).includes(value);
}

/** Property names that are indexed for exact lookup, per label. */
export function indexedProperties(label: VertexLabel): string[] {
  return Object.entries(VERTICES[label].properties)
    .filter(([, d]) => d.indexed)
    .map(([name]) => name);
}
/** Property names that are indexed for prefix search, per label. */
export function searchableProperties(label: VertexLabel): string[] {
  return Object.entries(VERTICES[label].properties)
    .filter(([, d]) => d.searchable)
    .map(([name]) => name);
}
