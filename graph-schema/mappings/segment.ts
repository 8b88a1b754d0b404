/**
 * Segment spec events → graph. Scope: the decoded SegmentEvent fields
 * (`userId`, `anonymousId`, `traits`, `properties`, `context`, `name`, …)
 * plus `ts`, the clock-skew-corrected event time.
 */
import type { FirstOfTemplate, Template, VertexTemplate } from '../mapping';
import { evidence, identity, sameAs } from './helpers';

/** Who did it: the known customer when there is a userId, else the anonymous visitor. */
const owner: FirstOfTemplate = {
  as: 'owner',
  firstOf: [
    { label: 'Customer', key: 'userId' },
    {
      label: 'Identity',
      key: [{ const: 'anonymousId' }, 'anonymousId'],
      props: { type: { const: 'anonymousId' }, value: 'anonymousId' },
    },
  ],
};

const customer: VertexTemplate = { as: 'customer', label: 'Customer', key: 'userId' };
const userIdIdentity = identity('userIdId', 'userId', 'userId');
const anonymousIdentity = identity('anonId', 'anonymousId', 'anonymousId');

const device: VertexTemplate = {
  as: 'device',
  label: 'Device',
  key: 'context.device.id',
  props: {
    type: 'context.device.type',
    manufacturer: 'context.device.manufacturer',
    model: 'context.device.model',
    lastSeen: 'ts',
  },
};

/** Without a userId the event's identifiers are tied to the visitor's anonymousId instead of a profile. */
const anonymousOnly = { absent: ['userId'] } as const;

/**
 * Segment's `context.externalIds` (`[{id, type, collection, encoding}]`): each
 * is an identifier of the event's user, keyed `<type>:<id>` like every Identity.
 */
const externalIds: NonNullable<Template['each']>[number] = {
  path: 'context.externalIds',
  as: 'ext',
  template: {
    vertices: [
      {
        as: 'externalId',
        label: 'Identity',
        key: [
          { path: 'ext.type', as: 'string' },
          { path: 'ext.id', as: 'string' },
        ],
        props: { type: { path: 'ext.type', as: 'string' }, value: { path: 'ext.id', as: 'string' } },
      },
    ],
    edges: [
      evidence('customer', 'externalId', 'externalId', 'eventKey'),
      sameAs('anonId', 'externalId', 'externalId', 'eventKey', anonymousOnly),
    ],
  },
};

/**
 * How clickstream meets CDC customers, the way Segment users send data: a `userId` that is an
 * e-mail is also an `email` identity (the same vertex a CRM row's e-mail column keys), and
 * `context.traits` — which analytics.js sends on every call — contribute traits and identifiers
 * like `identify` does. The identity resolver joins the profiles through those identities,
 * under its per-type limits.
 */
const userIdEmail = identity('userIdEmailId', 'email', 'userId', 'email');
const contextTraits: Template = {
  vertices: [
    {
      ...customer,
      as: 'customerContextTraits',
      spread: { path: 'context.traits' },
      when: { present: ['context.traits'] },
      props: {
        email: { path: 'context.traits.email', as: 'email' },
        phone: { path: 'context.traits.phone', as: 'phone' },
      },
    },
    {
      ...anonymousIdentity,
      as: 'anonContextTraits',
      spread: { path: 'context.traits' },
      when: { absent: ['userId'], present: ['context.traits'] },
    },
    identity('contextEmailId', 'email', 'context.traits.email', 'email'),
    identity('contextPhoneId', 'phone', 'context.traits.phone', 'phone'),
  ],
  edges: [
    evidence('customer', 'userIdEmailId', 'userId', 'eventKey'),
    evidence('customer', 'contextEmailId', 'context', 'eventKey'),
    evidence('customer', 'contextPhoneId', 'context', 'eventKey'),
    sameAs('anonId', 'contextEmailId', 'context', 'eventKey', anonymousOnly),
    sameAs('anonId', 'contextPhoneId', 'context', 'eventKey', anonymousOnly),
  ],
};

/** What every track/page/screen event writes: the event itself, who did it, on which device. */
const activity: Template = {
  vertices: [
    owner,
    customer,
    anonymousIdentity,
    userIdEmail,
    device,
    ...(contextTraits.vertices ?? []),
    {
      as: 'event',
      label: 'Event',
      key: 'eventKey',
      owned: true,
      props: { type: 'type', name: 'name', ts: 'ts', properties: { path: 'properties', as: 'json' } },
    },
    {
      as: 'product',
      label: 'Product',
      key: { path: 'properties.product_id', as: 'string' },
      props: {
        name: 'properties.name',
        category: 'properties.category',
        price: { path: 'properties.price', as: 'number' },
      },
    },
  ],
  edges: [
    { label: 'PERFORMED', from: 'owner', to: 'event' },
    // An event carrying both ids is evidence that the visitor is the customer.
    evidence('customer', 'anonId', 'event', 'eventKey'),
    { label: 'USES_DEVICE', from: 'owner', to: 'device', props: { lastSeen: 'ts' } },
    { label: 'ABOUT', from: 'event', to: 'product' },
    ...(contextTraits.edges ?? []),
  ],
  each: [externalIds],
};

const orderCompleted: Template = {
  vertices: [
    owner,
    {
      as: 'order',
      label: 'Order',
      key: { path: 'properties.order_id', as: 'string' },
      props: {
        ts: 'ts',
        status: { const: 'completed' },
        total: { path: 'properties.total', as: 'number' },
        currency: 'properties.currency',
      },
    },
  ],
  edges: [{ label: 'PLACED', from: 'owner', to: 'order' }],
  each: [
    {
      path: 'properties.products',
      as: 'item',
      template: {
        vertices: [
          {
            as: 'lineProduct',
            label: 'Product',
            key: { path: 'item.product_id', as: 'string' },
            props: { name: 'item.name', category: 'item.category', price: { path: 'item.price', as: 'number' } },
          },
        ],
        edges: [
          {
            label: 'CONTAINS',
            from: 'order',
            to: 'lineProduct',
            props: { quantity: { path: 'item.quantity', as: 'number' }, price: { path: 'item.price', as: 'number' } },
          },
        ],
      },
    },
  ],
};

export interface SegmentMappings {
  readonly identify: Template;
  readonly group: Template;
  readonly alias: Template;
  readonly page: Template;
  readonly screen: Template;
  /** Every track event writes `track`; events named here add their own template on top. */
  readonly track: Template;
  readonly trackEvents: Readonly<Record<string, Template>>;
}

export const segmentMappings: SegmentMappings = {
  identify: {
    vertices: [
      {
        ...customer,
        spread: { path: 'traits' },
        // Same normalized form as the CRM's columns, so the newest write wins on equal terms.
        props: { email: { path: 'traits.email', as: 'email' }, phone: { path: 'traits.phone', as: 'phone' } },
      },
      // Traits of a visitor who is not known yet stay on the visitor's identity, not dropped.
      { ...anonymousIdentity, as: 'anonWithTraits', spread: { path: 'traits' }, when: { absent: ['userId'] } },
      anonymousIdentity,
      userIdIdentity,
      userIdEmail,
      identity('emailId', 'email', 'traits.email', 'email'),
      identity('phoneId', 'phone', 'traits.phone', 'phone'),
      owner,
      device,
    ],
    edges: [
      evidence('customer', 'userIdId', 'identify', 'eventKey'),
      evidence('customer', 'userIdEmailId', 'identify', 'eventKey'),
      evidence('customer', 'anonId', 'identify', 'eventKey'),
      evidence('customer', 'emailId', 'identify', 'eventKey'),
      evidence('customer', 'phoneId', 'identify', 'eventKey'),
      // An anonymous visitor who leaves an email (newsletter form) is evidence too, just not of a profile yet.
      sameAs('anonId', 'emailId', 'identify', 'eventKey', anonymousOnly),
      sameAs('anonId', 'phoneId', 'identify', 'eventKey', anonymousOnly),
      { label: 'USES_DEVICE', from: 'owner', to: 'device', props: { lastSeen: 'ts' } },
    ],
    each: [externalIds],
  },
  group: {
    vertices: [owner, { as: 'account', label: 'Account', key: 'groupId', spread: { path: 'traits' } }],
    edges: [{ label: 'BELONGS_TO', from: 'owner', to: 'account' }],
  },
  alias: {
    // Segment's alias ties a previous id (usually the anonymousId) to the userId.
    vertices: [customer, userIdIdentity, identity('previousId', 'anonymousId', 'previousId')],
    edges: [
      evidence('customer', 'userIdId', 'alias', 'eventKey'),
      evidence('customer', 'previousId', 'alias', 'eventKey'),
    ],
  },
  page: activity,
  screen: activity,
  track: activity,
  trackEvents: {
    'Order Completed': orderCompleted,
  },
};
