/** The analytics part of the schema: extends Query and Customer of the base SDL (api/graphql/type-defs.ts). */
export const analyticsTypeDefs = /* GraphQL */ `
  extend type Query {
    "Graph analytics over the customer graph: centrality, communities, paths and similarity."
    analytics: Analytics!
    """
    The ego graph of any vertex (a customer, device, product, order, identity, …) for drawing:
    what the console shows when a neighbour is expanded. BAD_USER_INPUT when there is no such vertex.
    """
    neighborhood(
      "Vertex id (Label:key), as AnalyticsNode.id returns it."
      id: ID!
      "Hops from the vertex, 1..3 (default 1)."
      depth: Int
      "Most vertices returned, the vertex included, 1..500 (default 100)."
      maxNodes: Int
    ): Neighborhood!
  }

  extend type Customer {
    "The customer's ego graph for drawing: vertices within depth hops and the edges that reach them, capped."
    neighborhood(
      "Hops from the customer, 1..3 (default 1)."
      depth: Int
      "Most vertices returned, the customer included, 1..500 (default 100)."
      maxNodes: Int
    ): Neighborhood!
  }

  """
  Questions only a graph can answer. Centrality and communities are served from the
  latest completed run over the projection (the first question runs one); a result
  older than the projection is served while a fresh run is queued. Each result says
  which run produced it.
  """
  type Analytics {
    # Every question is nullable: one that fails (a run error, a timeout) is null with an
    # error at its own path while the others still answer.
    "The most central vertices of a label by the chosen measure."
    centrality(
      "Degree (neighbour count), PageRank (influence) or betweenness (brokerage)."
      kind: CentralityKind!
      "Vertex label ranked (default Customer)."
      label: String
      "How many, 1..100 (default 10)."
      first: Int
    ): CentralityResult
    "The largest communities: Louvain (densely knit groups: households, rings) or connected components."
    communities(
      "The community algorithm."
      kind: CommunityKind!
      "How many communities, 1..100 (default 10), largest first."
      first: Int
      "Only count and list members of this label (all labels when absent)."
      label: String
    ): CommunityResult
    "How two vertices (customers, devices, orders, …) are connected: one shortest path, or null if none within maxDepth."
    shortestPath(
      "Vertex id to start from."
      from: ID!
      "Vertex id to reach."
      to: ID!
      "Most edges on the path, 1..10 (default 6)."
      maxDepth: Int
    ): GraphPath
    "Customers sharing the most products, devices, addresses and accounts with this one."
    similarCustomers(
      "A customer id (Customer:<key>)."
      id: ID!
      "How many, 1..100 (default 10)."
      first: Int
      "Similarity measure (default JACCARD)."
      measure: SimilarityMeasure
    ): [SimilarCustomer!]
    "Products most often in the same orders as this one."
    productsBoughtTogether(
      "A product id (Product:<id>)."
      productId: ID!
      "How many, 1..100 (default 10)."
      first: Int
      "Similarity measure over the orders (default JACCARD)."
      measure: SimilarityMeasure
    ): [ProductAffinity!]
    "Recent algorithm runs, newest first, with their status and progress."
    runs(
      "How many, 1..50 (default 20)."
      first: Int
    ): [AnalyticsRun!]
  }

  "Centrality measures."
  enum CentralityKind {
    "Number of neighbours in the projection."
    DEGREE
    "PageRank (damping 0.85) on the undirected projection: influence through connections."
    PAGERANK
    "Share of shortest paths through the vertex; sampled (estimated) on large projections."
    BETWEENNESS
  }

  "Community algorithms."
  enum CommunityKind {
    "Louvain modularity optimisation: densely connected groups."
    LOUVAIN
    "Connected components: everything reachable from everything else."
    COMPONENTS
  }

  "Shared-neighbour similarity measures."
  enum SimilarityMeasure {
    "Shared / union."
    JACCARD
    "Shared / the smaller set."
    OVERLAP
    "Sum over shared items of 1/ln(item degree): rare shared items weigh more."
    ADAMIC_ADAR
  }

  "Run states."
  enum AnalyticsRunStatus {
    "Waiting for the run before it."
    QUEUED
    "Computing."
    RUNNING
    "Finished; its result is served and written back as traits."
    SUCCEEDED
    "Failed; see error."
    FAILED
  }

  "One algorithm run over one version of the projection."
  type AnalyticsRun {
    "Run id (sortable by creation time); it is also the tie-breaker of the trait versions it wrote."
    id: ID!
    "DEGREE, PAGERANK, BETWEENNESS, LOUVAIN or COMPONENTS."
    kind: String!
    "Status."
    status: AnalyticsRunStatus!
    "0..1."
    progress: Float!
    "The projection's name."
    projection: String!
    "The projection version the run read (grows with every refresh)."
    projectionVersion: Int
    "When it started computing."
    startedAt: DateTime
    "When it finished."
    finishedAt: DateTime
    "Why it failed."
    error: String
    "Vertices whose traits it wrote."
    traitsWritten: Int
    "Algorithm details: iterations, converged, exact, sources, count, modularity."
    details: JSON!
  }

  "A vertex of an analytics answer."
  type AnalyticsNode {
    "Vertex id (Label:key)."
    id: ID!
    "Vertex label."
    label: String!
    "The vertex's visible properties; null when it was deleted after the run."
    properties: JSON
  }

  "An edge of an analytics answer."
  type AnalyticsEdge {
    "Edge id."
    id: ID!
    "Edge label."
    label: String!
    "Source vertex id."
    from: ID!
    "Target vertex id."
    to: ID!
  }

  "A ranked vertex."
  type CentralityEntry {
    "The vertex."
    node: AnalyticsNode!
    "The score (degree: neighbour count; PageRank: probability; betweenness: normalized share)."
    score: Float!
    "1-based rank among the label's vertices."
    rank: Int!
  }

  "A centrality ranking and the run it comes from."
  type CentralityResult {
    "The run that computed it."
    run: AnalyticsRun!
    "Highest first."
    entries: [CentralityEntry!]!
  }

  "A community."
  type Community {
    "Its smallest member's id among the asked label (else its customers, else all members): stable while the membership is; the same value the run writes as the customers' community or component trait."
    id: ID!
    "Members (of the asked label, if any)."
    size: Int!
    "The first members by id (at most 20)."
    members: [AnalyticsNode!]!
  }

  "Communities and the run they come from."
  type CommunityResult {
    "The run that computed them."
    run: AnalyticsRun!
    "How many communities in total."
    count: Int!
    "Largest first."
    communities: [Community!]!
  }

  "A path: nodes in order and the edges between them."
  type GraphPath {
    "Number of edges."
    length: Int!
    "From first to last."
    nodes: [AnalyticsNode!]!
    "One edge per step."
    edges: [AnalyticsEdge!]!
  }

  "An ego graph."
  type Neighborhood {
    "Vertices, the centre first."
    nodes: [AnalyticsNode!]!
    "Edges among them."
    edges: [AnalyticsEdge!]!
    "True when the cap left vertices out."
    truncated: Boolean!
  }

  "A customer like another one."
  type SimilarCustomer {
    "The similar customer."
    customer: Customer!
    "Similarity score."
    score: Float!
    "Items (products, devices, addresses, accounts) the two share."
    shared: Int!
  }

  "A product bought together with another one."
  type ProductAffinity {
    "The product."
    product: Product!
    "Similarity of the two products' order sets."
    score: Float!
    "Orders containing both."
    orders: Int!
  }
`;
