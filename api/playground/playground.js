// The c360 playground: GraphiQL served by c360 itself (no CDN), preloaded with
// the operations a support agent or integrator needs first. Runs in the browser
// as a plain script: Content-Security-Policy forbids inline scripts.
(() => {
  // Real values from the data being served (the hub fills them in for its demo data).
  let start = {};
  try {
    start = JSON.parse(document.querySelector('meta[name="c360-examples"]')?.getAttribute('content') ?? '{}');
  } catch {
    start = {};
  }
  const examples = [
    {
      query: `# Look a customer up by one of its identifiers: email, phone, userId, anonymousId, crmId, …
# An identifier no customer claims yet returns an anonymous view (anonymous: true).
# Demo data: run SearchCustomers to find real emails; demo customer ids are Customer:C0000001, …
query CustomerByEmail($email: String!) {
  customer(identifier: { type: "email", value: $email }) {
    id
    anonymous
    traits
    identities {
      type
      value
      evidence { rule sourceId at }
    }
  }
}
`,
      variables: JSON.stringify({ email: start.email ?? 'ann@example.com' }, null, 2),
    },
    {
      query: `# The 360° view: profile, identities, devices, accounts, orders, support contacts,
# health and the newest timeline items, in one request.
query Customer360($id: ID!) {
  customer(id: $id) {
    id
    traits
    health { status reasons }
    identities { type value }
    devices(first: 10) { edges { node { id type model firmware lastSeen properties } } }
    accounts(first: 10) { edges { node { id name plan status } } }
    orders(first: 10) {
      edges { node { id ts status total currency products { quantity price product { id name } } } }
    }
    interactions(first: 10) { edges { node { id ts channel subject status priority } } }
    timeline(first: 10) {
      edges {
        node {
          __typename
          id
          ts
          ... on Event { type name properties }
          ... on Order { status total currency }
          ... on Interaction { channel subject status }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`,
      variables: JSON.stringify({ id: start.customerId ?? 'Customer:C0000001' }, null, 2),
    },
    {
      query: `# Page through a customer's timeline, newest first. Run once, then copy
# pageInfo.endCursor into the "after" variable to get the next page.
query TimelinePage($id: ID!, $after: String, $types: [TimelineType!]) {
  customer(id: $id) {
    id
    timeline(first: 20, after: $after, types: $types) {
      edges {
        cursor
        node {
          __typename
          id
          ts
          ... on Event { type name }
          ... on Order { status total currency }
          ... on Interaction { channel subject }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
`,
      variables: JSON.stringify(
        { id: 'Customer:C0000001', after: null, types: ['EVENT', 'ORDER', 'INTERACTION'] },
        null,
        2,
      ),
    },
    {
      query: `# Find customers by the start of a name or email (case-insensitive);
# an empty search lists every customer.
query SearchCustomers($search: String, $after: String) {
  customers(search: $search, first: 10, after: $after) {
    edges {
      cursor
      node { id traits health { status } }
    }
    pageInfo { hasNextPage endCursor }
  }
}
`,
      variables: JSON.stringify({ search: '', after: null }, null, 2),
    },
  ];

  // The page is served at the GraphQL endpoint itself, so its own path is the endpoint.
  // Queries and mutations over HTTP; subscriptions over graphql-ws on the same path (a subscription
  // sent as an HTTP POST gets a 400 SUBSCRIPTION_OVER_HTTP).
  const wsUrl = `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}${window.location.pathname}`;
  const wsClient = globalThis.graphqlWs.createClient({ url: wsUrl, lazy: true });
  const fetcher = GraphiQL.createFetcher({ url: window.location.pathname, wsClient });
  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultTabs: examples,
      // GraphiQL seeds the editors of the first tab from these props, not from defaultTabs[0].
      query: examples[0].query,
      variables: examples[0].variables,
      defaultEditorToolsVisibility: 'variables',
      shouldPersistHeaders: false,
    }),
  );
})();
