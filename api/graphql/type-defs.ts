/**
 * The public GraphQL schema (schema-first). Every type and field carries a
 * description: GraphiQL's docs pane is what agents and integrators read.
 */
export const typeDefs = /* GraphQL */ `
  "Any JSON value: traits and event properties as they were sent."
  scalar JSON

  "An instant as an ISO-8601 UTC string, e.g. 2024-05-01T12:00:00.000Z."
  scalar DateTime

  "Read access to the customer graph."
  type Query {
    """
    One customer's 360° view, by id or by one of its identifiers (exactly one of the two).
    An identifier that is known but tied to no customer yet (an anonymous visitor)
    returns a view rooted at that identity, with anonymous = true. Null when nothing matches.
    """
    customer(
      "A customer id as returned by this API (Customer:<key> or, for anonymous views, Identity:<type>:<value>); a bare CRM key is accepted too."
      id: ID
      "An identifier such as an email, phone, userId or anonymousId."
      identifier: IdentifierInput
    ): Customer

    "Customers whose name or email starts with the search text (case-insensitive); all customers when search is empty. Ordered by id."
    customers(
      "Prefix of a first name, last name, full name or email."
      search: String
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last customer of the previous page."
      after: String
    ): CustomerConnection!
  }

  "An identifier to look a customer up by."
  input IdentifierInput {
    "Identifier type: email, phone, userId, anonymousId, deviceId, crmId, …"
    type: String!
    "The identifier value; emails are matched case-insensitively, surrounding spaces are ignored."
    value: String!
  }

  "Forward paging information (Relay connection spec)."
  type PageInfo {
    "True when another page follows this one."
    hasNextPage: Boolean!
    "Cursor of the last edge of this page; pass it as after to get the next page."
    endCursor: String
  }

  """
  A person or organisation the company serves: the centre of a 360° view.
  Related lists are nullable on purpose: when one part cannot be read, the rest
  of the view is still served, with an error pointing at the missing part.
  """
  type Customer {
    "Stable id: Customer:<key>, or Identity:<type>:<value> for an anonymous view."
    id: ID!
    "True when the view is rooted at an identity that no customer profile claims yet."
    anonymous: Boolean!
    "The profile's visible properties (name, email, plan, …) as one JSON object; empty for anonymous views."
    traits: JSON!
    "Identifiers known to belong to this customer (first 100), with the evidence that linked each."
    identities: [Identity!]!
    "Devices the customer or any of its identities was seen on, ordered by id."
    devices(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last device of the previous page."
      after: String
    ): DeviceConnection
    "Billing/service accounts the customer owns and group accounts it belongs to, ordered by id."
    accounts(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last account of the previous page."
      after: String
    ): AccountConnection
    "Postal addresses of the customer (CRM addresses, or any mapped table's HAS_ADDRESS edges), ordered by id."
    addresses(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last address of the previous page."
      after: String
    ): AddressConnection
    "Vertices the customer reaches over one relation (an edge label), in either direction, with the edge's properties: the generic way to the relations a CDC mapping file declares."
    neighbors(
      "The edge label, e.g. a relation your mapping declares."
      edge: String!
      "Only neighbours with this vertex label."
      label: String
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last neighbour of the previous page."
      after: String
    ): RelatedConnection!
    "Orders placed by the customer or any of its identities, ordered by id (use timeline for time order)."
    orders(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last order of the previous page."
      after: String
    ): OrderConnection
    "Support contacts (tickets, calls, chats), ordered by id (use timeline for time order)."
    interactions(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last interaction of the previous page."
      after: String
    ): InteractionConnection
    "Everything that happened to the customer and its identities, newest first by event time."
    timeline(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last item of the previous page."
      after: String
      "Only these kinds of items (all kinds when absent or empty)."
      types: [TimelineType!]
    ): TimelineConnection
    "Overall health derived from the customer's devices (their latest telemetry health indicator)."
    health: Health
    "Saved segments the customer is a member of (kept live as events arrive; served by the segments module)."
    segments: [Segment!]!
    "Customers most similar to this one by shared products, devices, addresses and accounts (served by the analytics module)."
    similar(
      "How many similar customers, 1..100 (default 10)."
      first: Int
    ): [Customer!]!
  }

  "A page of customers."
  type CustomerConnection {
    "The customers of this page with their cursors."
    edges: [CustomerEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "A customer and its cursor."
  type CustomerEdge {
    "Opaque position of this customer in the list."
    cursor: String!
    "The customer."
    node: Customer!
  }

  "One identifier of a person."
  type Identity {
    "Stable id: Identity:<type>:<normalized value>."
    id: ID!
    "Identifier type: email, phone, userId, anonymousId, deviceId, crmId, …"
    type: String!
    "Normalized identifier value."
    value: String!
    "Why this identifier belongs to the customer; null for the root of an anonymous view."
    evidence: IdentityEvidence
  }

  "The evidence that tied an identifier to a customer (explains and allows reversing a merge)."
  type IdentityEvidence {
    "The rule that linked them: identify, alias, crm, event, …"
    rule: String
    "The event id or CDC position that is the evidence."
    sourceId: String
    "When the evidence was seen."
    at: DateTime
  }

  "A phone, router, set-top box or browser the customer uses; telemetry lands here."
  type Device {
    "Stable id: Device:<device id>."
    id: ID!
    "Device type or model family."
    type: String
    "Manufacturer."
    manufacturer: String
    "Model."
    model: String
    "Firmware version."
    firmware: String
    "When the device was last seen."
    lastSeen: DateTime
    "Every visible property of the device, including the latest telemetry indicators."
    properties: JSON!
  }

  "A page of devices."
  type DeviceConnection {
    "The devices of this page with their cursors."
    edges: [DeviceEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "A device and its cursor."
  type DeviceEdge {
    "Opaque position of this device in the list."
    cursor: String!
    "The device."
    node: Device!
  }

  "A billing or service account, or a Segment group (company)."
  type Account {
    "Stable id: Account:<account id>."
    id: ID!
    "Account name."
    name: String
    "Account status."
    status: String
    "Plan."
    plan: String
    "When the account was opened."
    createdAt: DateTime
    "Every visible property of the account."
    properties: JSON!
  }

  "A postal address."
  type Address {
    "Stable id: Address:<address id>."
    id: ID!
    "Street and number."
    line1: String
    "City."
    city: String
    "Postal code."
    postalCode: String
    "ISO country code."
    country: String
    "Every visible property of the address."
    properties: JSON!
  }

  "A vertex reached over a relation, with the edge that reaches it."
  type Related {
    "Label:key of the neighbour."
    id: ID!
    "The neighbour's label."
    label: String!
    "The neighbour's visible properties."
    properties: JSON!
    "The edge's label."
    edgeLabel: String!
    "The edge's properties (e.g. a quantity on an order line)."
    edgeProperties: JSON!
  }

  "A page of related vertices."
  type RelatedConnection {
    "One edge per neighbour."
    edges: [RelatedEdge!]!
    "Paging."
    pageInfo: PageInfo!
  }

  "A related vertex and its cursor."
  type RelatedEdge {
    "Opaque cursor."
    cursor: String!
    "The neighbour."
    node: Related!
  }

  "A page of addresses."
  type AddressConnection {
    "The addresses of this page with their cursors."
    edges: [AddressEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "An address and its cursor."
  type AddressEdge {
    "Opaque position of this address in the list."
    cursor: String!
    "The address."
    node: Address!
  }

  "A page of accounts."
  type AccountConnection {
    "The accounts of this page with their cursors."
    edges: [AccountEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "An account and its cursor."
  type AccountEdge {
    "Opaque position of this account in the list."
    cursor: String!
    "The account."
    node: Account!
  }

  "Kinds of timeline items."
  enum TimelineType {
    "Clickstream events (track, page, screen)."
    EVENT
    "Orders."
    ORDER
    "Support interactions."
    INTERACTION
    "Device-health changes (proactive care's committed transitions)."
    HEALTH
  }

  "Something that happened to a customer at a point in time."
  interface TimelineItem {
    "Stable vertex id of the item."
    id: ID!
    "When it happened (event time)."
    ts: DateTime
  }

  "A clickstream event (track, page, screen, …)."
  type Event implements TimelineItem {
    "Stable id: Event:<messageId>."
    id: ID!
    "When it happened (event time, corrected for client clock skew)."
    ts: DateTime
    "Segment call type: track, page, screen, identify, group or alias."
    type: String
    "Event name (track) or page/screen name."
    name: String
    "The event properties as sent."
    properties: JSON!
  }

  "A purchase."
  type Order implements TimelineItem {
    "Stable id: Order:<order id>."
    id: ID!
    "When the order was placed."
    ts: DateTime
    "Order status."
    status: String
    "Order total."
    total: Float
    "ISO currency code."
    currency: String
    "The products in the order (first 100) with quantity and unit price."
    products: [OrderLine!]!
    "Every visible property of the order."
    properties: JSON!
  }

  "A product line of an order."
  type OrderLine {
    "The product."
    product: Product!
    "How many."
    quantity: Float
    "Unit price paid."
    price: Float
  }

  "Something sold."
  type Product {
    "Stable id: Product:<product id or SKU>."
    id: ID!
    "Product name."
    name: String
    "Category."
    category: String
    "List price."
    price: Float
  }

  "A page of orders."
  type OrderConnection {
    "The orders of this page with their cursors."
    edges: [OrderEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "An order and its cursor."
  type OrderEdge {
    "Opaque position of this order in the list."
    cursor: String!
    "The order."
    node: Order!
  }

  "A support contact: ticket, call, chat."
  type Interaction implements TimelineItem {
    "Stable id: Interaction:<ticket id>."
    id: ID!
    "When the contact was opened."
    ts: DateTime
    "phone, chat, email, …"
    channel: String
    "Subject line."
    subject: String
    "open, pending, solved, …"
    status: String
    "Priority."
    priority: String
    "Every visible property of the interaction."
    properties: JSON!
  }

  "A change of the customer's health on its timeline: one device's committed transition, as proactive care announced it (health.changed; the healthChanged subscription's HealthChange)."
  type HealthTransition implements TimelineItem {
    "Stable id: HealthChange:<hash>, the health.changed action's id (health:<hash>) in vertex form."
    id: ID!
    "When the change took effect: the event time of the reading that confirmed it."
    ts: DateTime
    "The device that changed: Device:<key>."
    deviceId: ID
    "The device's status before."
    from: HealthStatus
    "The device's status after."
    to: HealthStatus
    "When the new status started to show (event time)."
    since: DateTime
    "Why, one line per rule that fired."
    reasons: [String!]!
    "The customer's status as of this change (its worst device)."
    customerStatus: HealthStatus
  }

  "A page of interactions."
  type InteractionConnection {
    "The interactions of this page with their cursors."
    edges: [InteractionEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "An interaction and its cursor."
  type InteractionEdge {
    "Opaque position of this interaction in the list."
    cursor: String!
    "The interaction."
    node: Interaction!
  }

  "A page of the timeline, newest first."
  type TimelineConnection {
    "The items of this page with their cursors."
    edges: [TimelineEdge!]!
    "Whether and where the next page starts."
    pageInfo: PageInfo!
  }

  "A timeline item and its cursor."
  type TimelineEdge {
    "Opaque position of this item in the timeline."
    cursor: String!
    "The item: an Event, Order or Interaction."
    node: TimelineItem!
  }

  "Traffic-light health status."
  enum HealthStatus {
    "Every device reports healthy."
    GREEN
    "At least one device reports degraded service."
    AMBER
    "At least one device reports a failure."
    RED
    "No device reports a health indicator."
    UNKNOWN
  }

  "A customer's health and why."
  type Health {
    "The worst status any device reports."
    status: HealthStatus!
    "Human-readable reasons, one per device that is not GREEN."
    reasons: [String!]!
  }

  "A saved audience."
  type Segment {
    "Stable id: Segment:<segment id>."
    id: ID!
    "Segment name."
    name: String
  }
`;
