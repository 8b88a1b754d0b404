/** The identity module's SDL: profile identifiers and evidence, merge explanations, unlink and forget. */
export const identityTypeDefs = /* GraphQL */ `
  "What identity resolution made of an identifier."
  enum IdentityStatus {
    "Part of this profile."
    MEMBER
    "A junk value on the blocklist (test@test.com, unknown, …): never joins anything."
    BLOCKED
    "A type that never merges profiles (e.g. ip): recorded only."
    EXCLUDED
    "Linked to more identifiers than its type allows: stops merging, flagged for review."
    SUPERNODE
    "Seen with profiles that cannot be one person (a family tablet): joins none of them."
    CONTESTED
  }

  extend type Identity {
    "When evidence first mentioned this identifier."
    firstSeen: DateTime
    "When evidence last mentioned this identifier."
    lastSeen: DateTime
    "What identity resolution made of it."
    status: IdentityStatus
  }

  "An identifier as evidence names it: a Customer vertex (type customer: CRM key or userId) or an Identity."
  type IdentifierRef {
    "Vertex id: Customer:<key> or Identity:<type>:<value>."
    id: ID!
    "Identifier type: customer, crmId, userId, email, phone, anonymousId, …"
    type: String!
    "Normalized value."
    value: String!
  }

  "One piece of evidence that two identifiers belong together, and whether it merged them."
  type IdentityLink {
    "HAS_IDENTITY (a customer and its identifier) or SAME_AS (two identifiers, no customer key yet)."
    label: String!
    "One end."
    from: IdentifierRef!
    "The other end."
    to: IdentifierRef!
    "The rule that produced it: identify, alias, crm, event, externalId."
    rule: String
    "The event id or CDC position that is the evidence."
    sourceId: String
    "When the evidence was seen."
    at: DateTime
    "True when the evidence joined the two into one profile."
    merged: Boolean!
    "Why it did not merge (a limit, a blocklisted value, a supernode, a shared identifier); null when merged."
    reason: String
  }

  extend type Customer {
    "Every piece of evidence touching this profile's identifiers, merged or not, oldest first."
    identityEvidence: [IdentityLink!]!
  }

  "Why two identifiers are (or are not) one customer."
  type MergeExplanation {
    "True when both identifiers resolve to the same profile."
    sameProfile: Boolean!
    "The profile id when they are one; null otherwise."
    profileId: ID
    """
    The chain of evidence joining them: merged evidence when they are one profile; otherwise
    the shortest chain over any evidence, whose rejected steps say what kept them apart.
    """
    path: [IdentityLink!]!
    "Why they are not one profile; null when they are."
    reason: String
  }

  "The outcome of removing evidence."
  type UnlinkResult {
    "How many evidence edges were removed."
    removed: Int!
    "Profile ids after the split: the identifier's profile first, then the other side(s)."
    profileIds: [ID!]!
  }

  "The outcome of forgetting a customer. The erased values are not repeated here or in the audit log."
  type ForgetResult {
    "The audit log entry that records the erasure."
    auditId: ID!
    "Counts of erased vertices and edges by label, and of identifiers by type."
    erased: JSON!
  }

  extend type Query {
    "Why are these two identifiers one customer — or why not? Each identifier: email, phone, userId, anonymousId, crmId, …"
    explainMerge(a: IdentifierInput!, b: IdentifierInput!): MergeExplanation!
  }

  type Mutation {
    """
    Remove the evidence tying an identifier to another identifier or customer (from), or to everything
    when from is absent. The profile is recomputed at once and splits; history follows its identifiers.
    New evidence (a later identify) links them again.
    """
    unlinkIdentity(
      "The identifier to detach."
      identifier: IdentifierInput!
      "A Customer:<key> or Identity:<type>:<value> id (as in identityEvidence) to detach it from."
      from: ID
    ): UnlinkResult!
    """
    Erase a customer everywhere: every identifier, trait, event, order, support contact, device and account link
    of the profile. Replays of old events cannot bring it back, and the erased keys stay retired.
    """
    forgetCustomer(
      "The customer id (Customer:<key>, a bare CRM key, or any identifier id of the profile)."
      id: ID!
      "Who asked (recorded in the audit log)."
      requestedBy: String!
      "Why (recorded in the audit log)."
      reason: String
    ): ForgetResult!
  }
`;
