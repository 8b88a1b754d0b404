/** The segments part of the GraphQL schema (merged over the base SDL by createHttpApp). */
export const segmentsTypeDefs = /* GraphQL */ `
  extend type Query {
    """
    Who is in an audience right now, without saving it: the count and the first page of
    members. The definition language (traits, behaviour in a time window, relationships,
    other segments) is documented in docs/segments.md; a bad definition is a
    BAD_USER_INPUT error whose extensions.definitionPath points at the bad part.
    """
    previewSegment(
      "A segment definition (JSON), e.g. { trait: { name: \\"lifetimeValue\\", op: \\"gt\\", value: 500 } }."
      definition: JSON!
    ): SegmentPreview!
    "Every saved segment, ordered by id."
    segments: [Segment!]!
    "One saved segment by id (Segment:<key> or the bare key); null when there is none."
    segment(
      "Segment:<key> or the bare key."
      id: ID!
    ): Segment
  }

  "Changes to saved segments."
  type Mutation {
    """
    Saves an audience (a new one, or a new definition for the segment with this id) and
    computes its membership; from then on c360 keeps membership live and publishes
    segment.entered / segment.left actions.
    """
    saveSegment(
      "Display name, 1..200 characters."
      name: String!
      "The segment definition (see previewSegment)."
      definition: JSON!
      "Update this saved segment instead of creating one."
      id: ID
    ): Segment!
    "Deletes a saved segment; its memberships disappear with it. False when there was none."
    deleteSegment(
      "Segment:<key> or the bare key."
      id: ID!
    ): Boolean!
  }

  "The result of previewing a definition."
  type SegmentPreview {
    "How many customers match now."
    count: Int!
    "Parts of the definition that can only match nothing or very little: a trait no source declares or computes, a boughtWith customer that does not exist."
    warnings: [String!]!
    "The matching customers, ordered by id."
    members(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last member of the previous page."
      after: String
    ): CustomerConnection!
  }

  extend type Segment {
    "The definition as saved."
    definition: JSON
    "How many customers are members (the live, stored membership)."
    size: Int!
    "The members, ordered by id."
    members(
      "Page size, 1..100 (default 20)."
      first: Int
      "Cursor of the last member of the previous page."
      after: String
    ): CustomerConnection!
  }
`;
