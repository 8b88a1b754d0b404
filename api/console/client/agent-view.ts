/**
 * Agent view: find a customer as you type, then the 360° card (identities,
 * traits, accounts, devices with health, orders, support contacts), the
 * neighbourhood graph (click a node to expand it), the timeline with paging
 * and filters, and "why one customer?" drawn as the evidence path. The card
 * follows the customer live over graphql-ws (customerUpdated, healthChanged).
 */
import { describeError, errorCode, type GraphQLRequestError, gql, onLiveState, subscribe } from './api';
import { badge, debounce, fill, h, section, toast } from './dom';
import { customerName, money, property, value, when } from './format';
import { createGraphPanel, type GraphEdge, type GraphNode, type GraphPanel, legend } from './graph-panel';

interface Edges<T> {
  readonly edges: readonly { readonly node: T }[];
}
interface DeviceHealth {
  id: string;
  status: string;
  since: string | null;
  reasons: string[];
  pending: string | null;
  evidence: { at: string; indicators: Record<string, number> }[];
}
export interface CustomerCard {
  id: string;
  anonymous: boolean;
  traits: Record<string, unknown>;
  identities: {
    id: string;
    type: string;
    value: string;
    status: string | null;
    evidence: { rule: string | null; at: string | null } | null;
  }[];
  health: { status: string; since: string | null; reasons: string[]; devices: DeviceHealth[] } | null;
  devices: Edges<{
    id: string;
    type: string | null;
    manufacturer: string | null;
    model: string | null;
    firmware: string | null;
    lastSeen: string | null;
  }> | null;
  accounts: Edges<{ id: string; name: string | null; plan: string | null; status: string | null }> | null;
  orders: Edges<{
    id: string;
    ts: string | null;
    status: string | null;
    total: number | null;
    currency: string | null;
    products: { quantity: number | null; product: { name: string | null } }[];
  }> | null;
  interactions: Edges<{
    id: string;
    ts: string | null;
    channel: string | null;
    subject: string | null;
    status: string | null;
    priority: string | null;
  }> | null;
  segments: { id: string; name: string | null }[];
}

const CARD_FIELDS = /* GraphQL */ `
  fragment Card on Customer {
    id anonymous traits
    identities { id type value status evidence { rule at } }
    health { status since reasons devices { id status since reasons pending evidence { at indicators } } }
    devices(first: 20) { edges { node { id type manufacturer model firmware lastSeen } } }
    accounts(first: 10) { edges { node { id name plan status } } }
    orders(first: 20) { edges { node { id ts status total currency products { quantity product { name } } } } }
    interactions(first: 20) { edges { node { id ts channel subject status priority } } }
    segments { id name }
  }`;
const CARD_QUERY = `query Card($id: ID, $identifier: IdentifierInput) { customer(id: $id, identifier: $identifier) { ...Card } } ${CARD_FIELDS}`;
// A signal only: the card is read again over HTTP, newest read wins (see loadCard).
const LIVE_CARD = `subscription LiveCard($id: ID!) { customerUpdated(id: $id) { id } }`;
const LIVE_HEALTH = `subscription LiveHealth($id: ID!) {
  healthChanged(customerId: $id) { id deviceId from to at reasons customerStatus }
}`;
const HEALTH_HISTORY = `query HealthHistory($id: ID!) {
  customer(id: $id) { timeline(first: 10, types: [HEALTH]) {
    edges { node { id ts ... on HealthTransition { deviceId from to reasons } } } } }
}`;
const SEARCH = `query Search($search: String) {
  customers(search: $search, first: 10) { edges { node { id traits health { status } } } }
}`;
const GRAPH = `query Graph($id: ID!, $depth: Int) {
  customer(id: $id) { neighborhood(depth: $depth, maxNodes: 80) { nodes { id label properties } edges { id label from to } truncated } }
}`;
const EXPAND = `query Expand($id: ID!) {
  neighborhood(id: $id, depth: 1, maxNodes: 40) { nodes { id label properties } edges { id label from to } truncated }
}`;
const TIMELINE = `query Timeline($id: ID!, $after: String, $types: [TimelineType!]) {
  customer(id: $id) { timeline(first: 15, after: $after, types: $types) {
    edges { node { __typename id ts
      ... on Event { type name properties }
      ... on Order { status total currency }
      ... on Interaction { channel subject status }
      ... on HealthTransition { deviceId from to reasons customerStatus } } }
    pageInfo { hasNextPage endCursor } } }
}`;
const EXPLAIN = `query Explain($a: IdentifierInput!, $b: IdentifierInput!) {
  explainMerge(a: $a, b: $b) { sameProfile profileId reason
    path { label rule at merged reason from { id type value } to { id type value } } }
}`;

interface Neighborhood {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

function searchVariables(text: string): { query: string; variables: Record<string, unknown> } | null {
  const t = text.trim();
  if (/^[A-Z][A-Za-z]+:\S+$/.test(t)) return { query: CARD_QUERY, variables: { id: t } };
  if (/^\+?[\d\s().-]{7,}$/.test(t))
    return { query: CARD_QUERY, variables: { identifier: { type: 'phone', value: t } } };
  return { query: SEARCH, variables: { search: t } };
}

/**
 * The nodes of an evidence path in walking order, from the first identifier asked about to the
 * other: the steps share endpoints (customer→email, customer→crmId), their from/to do not chain.
 */
function walkOrder(nodes: GraphNode[], edges: GraphEdge[], startType: string): GraphNode[] {
  const degree = new Map<string, number>();
  for (const e of edges) for (const end of [e.from, e.to]) degree.set(end, (degree.get(end) ?? 0) + 1);
  const ends = nodes.filter((n) => degree.get(n.id) === 1);
  const start = ends.find((n) => n.properties?.type === startType) ?? ends[0];
  if (!start) return nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const order = [start];
  const left = [...edges];
  let at = start.id;
  while (left.length > 0) {
    const i = left.findIndex((e) => e.from === at || e.to === at);
    if (i < 0) return nodes;
    const [e] = left.splice(i, 1);
    at = e.from === at ? e.to : e.from;
    const next = byId.get(at);
    if (!next) return nodes;
    order.push(next);
  }
  return order;
}

/** What was typed in the search box: kept when a result opens (the view is rebuilt on navigation). */
let lastSearch = '';

export function agentView(root: HTMLElement, customerId: string | null): () => void {
  const cleanups: (() => void)[] = [];
  const input = h('input', {
    type: 'search',
    class: 'search-input',
    placeholder: 'Name, e-mail, phone or id',
    'aria-label': 'Search customers',
    'data-testid': 'search',
    autocomplete: 'off',
  });
  const results = h('ul', { class: 'results', 'data-testid': 'search-results' });
  const main = h('div', { class: 'agent-main', 'data-testid': 'agent-main' });
  fill(
    root,
    h(
      'div',
      { class: 'agent' },
      h('aside', { class: 'agent-search' }, h('label', { class: 'muted' }, 'Find a customer'), input, results),
      main,
    ),
  );

  const open = (id: string) => {
    location.hash = `#/agent/${encodeURIComponent(id)}`;
  };
  const resultItem = (c: { id: string; traits: Record<string, unknown>; health?: { status: string } | null }) =>
    h(
      'li',
      null,
      h(
        'button',
        { class: 'result', type: 'button', 'data-id': c.id, onclick: () => open(c.id) },
        h('span', { class: 'result-name' }, customerName(c.traits, c.id)),
        h('span', { class: 'result-sub' }, value(c.traits.email ?? c.id)),
        c.health ? badge(c.health.status) : null,
      ),
    );

  let searchSeq = 0;
  const runSearch = async (text: string) => {
    const seq = ++searchSeq;
    const q = searchVariables(text);
    if (!q) return;
    try {
      const data = await gql<{
        customers?: Edges<{ id: string; traits: Record<string, unknown>; health: { status: string } | null }>;
        customer?: CustomerCard | null;
      }>(q.query, q.variables);
      if (seq !== searchSeq) return;
      const found = data.customers ? data.customers.edges.map((e) => e.node) : data.customer ? [data.customer] : [];
      fill(results, found.length ? found.map(resultItem) : h('li', { class: 'muted' }, 'No customer matches'));
    } catch (e) {
      if (seq === searchSeq) fill(results, h('li', { class: 'error', 'data-code': errorCode(e) }, describeError(e)));
    }
  };
  const search = debounce(runSearch, 180);
  input.value = lastSearch;
  input.addEventListener('input', () => {
    lastSearch = input.value;
    search(input.value);
  });
  // With a customer open and nothing typed, the list of everyone would only compete with the card's requests.
  if (!customerId || lastSearch.trim() !== '') void runSearch(lastSearch);

  if (!customerId) {
    fill(
      main,
      h(
        'div',
        { class: 'empty' },
        h('h2', null, 'Who is on the line?'),
        h('p', null, 'Search by name, e-mail, phone number or id; results appear as you type.'),
      ),
    );
    return () => undefined;
  }

  // --- the open customer -------------------------------------------------------------
  const header = h('div', { class: 'card-header' });
  const cardBody = h('div', { class: 'card-grid' });
  const liveDot = h('span', { class: 'live', 'data-testid': 'live', 'data-state': 'connecting' }, 'live: connecting');
  const history = h('ul', { class: 'history', 'data-testid': 'health-history' });
  const graphBox = h('div', { class: 'graph-box' });
  const timelineBox = h('div', { class: 'timeline-box' });
  const explainBox = h('div', { class: 'explain-box' });
  fill(
    main,
    h('div', { class: 'card', 'data-testid': 'card', 'data-id': customerId }, header, cardBody),
    h(
      'div',
      { class: 'agent-lower' },
      section('Neighbourhood graph', 'graph-panel', graphBox),
      section('Timeline', 'timeline', timelineBox),
    ),
    section('Why one customer? (identity evidence)', 'explain', explainBox),
  );
  cleanups.push(
    onLiveState((s) => {
      if (liveDot.dataset.state === 'refused') return;
      liveDot.dataset.state = s;
      liveDot.textContent = `live: ${s}`;
      // Subscriptions do not replay what changed while the socket was (re)connecting: read the card again.
      if (s === 'connected' && card) refreshCard();
    }),
  );

  let graph: GraphPanel | null = null;
  let card: CustomerCard | null = null;

  const renderCard = (c: CustomerCard) => {
    card = c;
    const name = customerName(c.traits, c.id);
    const health = c.health?.status ?? 'UNKNOWN';
    fill(
      header,
      h(
        'div',
        null,
        h('h2', { 'data-testid': 'card-name' }, name),
        h('div', { class: 'muted' }, c.id, c.anonymous ? ' · anonymous visitor' : ''),
      ),
      h(
        'div',
        { class: 'card-badges' },
        h('span', { class: 'muted' }, 'health'),
        badge(health, 'health-badge'),
        c.traits.plan ? h('span', { class: 'pill' }, value(c.traits.plan)) : null,
        typeof c.traits.lifetimeValue === 'number'
          ? h('span', { class: 'pill' }, `LTV ${value(c.traits.lifetimeValue)}`)
          : null,
        liveDot,
      ),
    );
    const healthById = new Map((c.health?.devices ?? []).map((d) => [d.id, d]));
    const traits = Object.entries(c.traits).filter(([k]) => !k.startsWith('_'));
    fill(
      cardBody,
      section(
        `Identities (${c.identities.length})`,
        'identities',
        h(
          'ul',
          { class: 'chips' },
          c.identities.map((i) =>
            h(
              'li',
              {
                class: `chip chip-${i.status ?? 'MEMBER'}`,
                title: i.evidence ? `${i.evidence.rule ?? ''} ${when(i.evidence.at)}` : '',
              },
              h('b', null, i.type),
              ' ',
              i.value,
            ),
          ),
        ),
      ),
      section(
        'Traits',
        'traits',
        h(
          'table',
          { class: 'kv' },
          h(
            'tbody',
            null,
            traits.map(([k, v]) => h('tr', { 'data-trait': k }, h('th', null, k), h('td', null, property(k, v)))),
          ),
        ),
      ),
      section(
        'Devices & health',
        'devices',
        c.health?.reasons.length ? h('p', { class: 'reasons' }, c.health.reasons.join('; ')) : null,
        h(
          'ul',
          { class: 'rows' },
          (c.devices?.edges ?? []).map(({ node: d }) => {
            const dh = healthById.get(d.id);
            return h(
              'li',
              { 'data-device': d.id },
              h(
                'div',
                { class: 'row-main' },
                h('strong', null, d.model ?? d.type ?? d.id.replace(/^Device:/, '')),
                ' ',
                h(
                  'span',
                  { class: 'muted' },
                  [d.manufacturer, d.firmware && `fw ${d.firmware}`].filter(Boolean).join(' · '),
                ),
                dh ? badge(dh.status, `device-health-${d.id}`) : null,
              ),
              dh
                ? h(
                    'div',
                    { class: 'row-sub' },
                    `since ${when(dh.since)}`,
                    dh.pending ? ` · turning ${dh.pending}` : '',
                    dh.reasons.length ? ` · ${dh.reasons.join('; ')}` : '',
                    dh.evidence.length
                      ? h(
                          'div',
                          { class: 'readings' },
                          dh.evidence.slice(-3).map((r) =>
                            h(
                              'span',
                              { class: 'reading' },
                              `${when(r.at)}: `,
                              Object.entries(r.indicators)
                                .map(([k, v]) => `${k} ${v}`)
                                .join(', '),
                            ),
                          ),
                        )
                      : null,
                  )
                : h('div', { class: 'row-sub' }, `last seen ${when(d.lastSeen)}`),
            );
          }),
        ),
        h('h4', null, 'Health changes'),
        history,
      ),
      section(
        'Accounts',
        'accounts',
        h(
          'ul',
          { class: 'rows' },
          (c.accounts?.edges ?? []).map(({ node: a }) =>
            h(
              'li',
              null,
              h('strong', null, a.name ?? a.id),
              ' ',
              h('span', { class: 'muted' }, [a.plan, a.status].filter(Boolean).join(' · ')),
            ),
          ),
        ),
        c.segments.length
          ? h(
              'p',
              null,
              h('span', { class: 'muted' }, 'Segments: '),
              c.segments.map((s) => h('span', { class: 'pill' }, s.name ?? s.id)),
            )
          : null,
      ),
      section(
        'Recent orders',
        'orders',
        h(
          'ul',
          { class: 'rows' },
          [...(c.orders?.edges ?? [])]
            .map((e) => e.node)
            .sort((a, b) => String(b.ts).localeCompare(String(a.ts)))
            .slice(0, 6)
            .map((o) =>
              h(
                'li',
                null,
                h(
                  'div',
                  { class: 'row-main' },
                  h('strong', null, money(o.total, o.currency)),
                  ' ',
                  h('span', { class: 'muted' }, `${when(o.ts)} · ${o.status ?? ''}`),
                ),
                h(
                  'div',
                  { class: 'row-sub' },
                  o.products.map((p) => `${p.quantity ?? 1}× ${p.product.name ?? '?'}`).join(', '),
                ),
              ),
            ),
        ),
      ),
      section(
        'Support contacts',
        'interactions',
        h(
          'ul',
          { class: 'rows' },
          [...(c.interactions?.edges ?? [])]
            .map((e) => e.node)
            .sort((a, b) => String(b.ts).localeCompare(String(a.ts)))
            .slice(0, 6)
            .map((i) =>
              h(
                'li',
                null,
                h('div', { class: 'row-main' }, h('strong', null, i.subject ?? i.id)),
                h(
                  'div',
                  { class: 'row-sub' },
                  [when(i.ts), i.channel, i.status, i.priority].filter(Boolean).join(' · '),
                ),
              ),
            ),
        ),
      ),
    );
    for (const d of c.health?.devices ?? []) graph?.mark(d.id, { health: d.status });
    renderExplainForm(c);
  };

  // Live signals (customerUpdated, healthChanged) and reconnects each read the card again; reads can
  // come back out of order, so only the newest one issued is drawn — never an older view over a newer.
  let cardReads = 0;
  const loadCard = async () => {
    const read = ++cardReads;
    const data = await gql<{ customer: CustomerCard | null }>(CARD_QUERY, { id: customerId });
    if (read !== cardReads) return card;
    if (!data.customer) {
      fill(header, h('h2', null, 'No such customer'), h('p', { class: 'muted' }, customerId));
      return null;
    }
    renderCard(data.customer);
    return data.customer;
  };

  // --- graph -------------------------------------------------------------------------
  const graphInfo = h('div', { class: 'graph-info muted' });
  const depth = h(
    'select',
    { 'aria-label': 'Depth', 'data-testid': 'graph-depth' },
    h('option', { value: '1' }, '1 hop'),
    h('option', { value: '2' }, '2 hops'),
  );
  const expand = async (n: GraphNode) => {
    if (n.id === card?.id) return;
    try {
      const data = await gql<{ neighborhood: Neighborhood }>(EXPAND, { id: n.id });
      const added = graph?.add(data.neighborhood.nodes, data.neighborhood.edges, n.id) ?? 0;
      graphInfo.textContent = `Expanded ${n.label} ${n.id.slice(n.id.indexOf(':') + 1)}: ${added} new node${added === 1 ? '' : 's'}${data.neighborhood.truncated ? ' (capped)' : ''}. Click another node to expand it.`;
    } catch (e) {
      toast(describeError(e), 'error');
    }
  };
  const loadGraph = async () => {
    graph?.destroy();
    graph = createGraphPanel({ onNodeClick: (n) => void expand(n), testId: 'graph', layout: 'concentric' });
    const legendBox = h('div');
    fill(graphBox, h('div', { class: 'graph-toolbar' }, depth, graphInfo), graph.element, legendBox);
    try {
      const data = await gql<{ customer: { neighborhood: Neighborhood } | null }>(GRAPH, {
        id: customerId,
        depth: Number(depth.value),
      });
      const n = data.customer?.neighborhood;
      if (!n) return;
      graph.set(n.nodes, n.edges, n.nodes[0]?.id ?? null);
      for (const d of card?.health?.devices ?? []) graph.mark(d.id, { health: d.status });
      fill(legendBox, legend(n.nodes.map((x) => x.label)));
      graphInfo.textContent = `${n.truncated ? 'Capped at 80 nodes. ' : ''}Hover a node for its properties; click to expand it.`;
    } catch (e) {
      fill(graphBox, h('p', { class: 'error' }, describeError(e)));
    }
  };
  depth.addEventListener('change', () => void loadGraph());
  cleanups.push(() => graph?.destroy());

  // --- timeline ----------------------------------------------------------------------
  const kinds = ['EVENT', 'ORDER', 'INTERACTION', 'HEALTH'] as const;
  const boxes = kinds.map((k) =>
    h('input', { type: 'checkbox', checked: true, value: k, 'data-testid': `timeline-${k}` }),
  );
  const items = h('ol', { class: 'timeline-list' });
  const more = h('button', { type: 'button', class: 'secondary', 'data-testid': 'timeline-more' }, 'Older');
  let cursor: string | null = null;
  const loadTimeline = async (reset: boolean) => {
    if (reset) {
      cursor = null;
      items.replaceChildren();
    }
    const types = boxes.filter((b) => b.checked).map((b) => b.value);
    try {
      const data = await gql<{
        customer: {
          timeline: {
            edges: { node: { __typename: string; id: string; ts: string | null } & Record<string, unknown> }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          } | null;
        } | null;
      }>(TIMELINE, { id: customerId, after: cursor, types });
      const t = data.customer?.timeline;
      if (!t) return;
      for (const { node } of t.edges) {
        const what =
          node.__typename === 'Order'
            ? `Order ${money(node.total as number | null, node.currency as string | null)} · ${value(node.status)}`
            : node.__typename === 'Interaction'
              ? `${value(node.channel)}: ${value(node.subject)} · ${value(node.status)}`
              : node.__typename === 'HealthTransition'
                ? `${value(node.deviceId)} ${value(node.from)} → ${value(node.to)} (customer ${value(node.customerStatus)})${
                    Array.isArray(node.reasons) && node.reasons.length > 0 ? ` · ${node.reasons.join('; ')}` : ''
                  }`
                : `${value(node.type)} ${value(node.name)}`;
        items.append(
          h(
            'li',
            { class: `tl tl-${node.__typename}` },
            h('time', null, when(node.ts)),
            h('span', { class: 'tl-kind' }, node.__typename),
            what,
          ),
        );
      }
      cursor = t.pageInfo.endCursor;
      more.hidden = !t.pageInfo.hasNextPage;
    } catch (e) {
      items.append(h('li', { class: 'error' }, describeError(e)));
    }
  };
  for (const b of boxes) b.addEventListener('change', () => void loadTimeline(true));
  more.addEventListener('click', () => void loadTimeline(false));
  fill(
    timelineBox,
    h(
      'div',
      { class: 'filters' },
      boxes.map((b, i) => h('label', null, b, ` ${kinds[i].toLowerCase()}s`)),
    ),
    items,
    more,
  );

  // --- explain merge -----------------------------------------------------------------
  const explainPicture = createGraphPanel({ edgeCaptions: true, layout: 'chain', testId: 'explain-graph' });
  const explainText = h('p', { class: 'muted', 'data-testid': 'explain-text' });
  const selA = h('select', { 'aria-label': 'First identifier', 'data-testid': 'explain-a' });
  const selB = h('select', { 'aria-label': 'Second identifier', 'data-testid': 'explain-b' });
  const renderExplainForm = (c: CustomerCard) => {
    if (selA.options.length > 0) return;
    const opts = c.identities.map((i) => h('option', { value: `${i.type}\u0000${i.value}` }, `${i.type}: ${i.value}`));
    selA.append(...opts.map((o) => o.cloneNode(true)));
    selB.append(...opts);
    if (opts.length > 1) {
      // Start with the two identifiers an agent asks about most: an e-mail or phone against the CRM key.
      const pick = (types: string[]) => c.identities.findIndex((i) => types.includes(i.type));
      selA.selectedIndex = Math.max(0, pick(['email', 'phone']));
      const b = pick(['crmId', 'userId']);
      selB.selectedIndex = b >= 0 && b !== selA.selectedIndex ? b : opts.length - 1;
      void explain();
    }
  };
  const explain = async () => {
    const [ta, va] = selA.value.split('\u0000');
    const [tb, vb] = selB.value.split('\u0000');
    try {
      const data = await gql<{
        explainMerge: {
          sameProfile: boolean;
          reason: string | null;
          path: {
            label: string;
            rule: string | null;
            at: string | null;
            merged: boolean;
            reason: string | null;
            from: { id: string; type: string; value: string };
            to: { id: string; type: string; value: string };
          }[];
        };
      }>(EXPLAIN, { a: { type: ta, value: va }, b: { type: tb, value: vb } });
      const m = data.explainMerge;
      const nodes = new Map<string, GraphNode>();
      const edges: GraphEdge[] = m.path.map((step, i) => {
        for (const end of [step.from, step.to]) {
          nodes.set(end.id, {
            id: end.id,
            label: end.type === 'customer' ? 'Customer' : 'Identity',
            properties: { type: end.type, value: end.value },
          });
        }
        return {
          id: `step-${i}`,
          label: `${step.rule ?? step.label}${step.merged ? '' : ' ✗'}`,
          from: step.from.id,
          to: step.to.id,
          dashed: !step.merged,
        };
      });
      explainPicture.set(walkOrder([...nodes.values()], edges, ta), edges);
      explainText.textContent = m.sameProfile
        ? `One customer: ${m.path.length} piece${m.path.length === 1 ? '' : 's'} of evidence join them (${m.path.map((s) => `${s.rule ?? s.label} ${when(s.at)}`).join(' → ')}).`
        : `Not one customer: ${m.reason ?? 'no evidence joins them'}.`;
      explainPicture.element.hidden = false;
    } catch (e) {
      explainText.textContent = describeError(e);
      explainPicture.element.hidden = true;
    }
  };
  fill(
    explainBox,
    h(
      'div',
      { class: 'explain-form' },
      selA,
      h('span', null, 'and'),
      selB,
      h('button', { type: 'button', onclick: () => void explain(), 'data-testid': 'explain-run' }, 'Explain'),
    ),
    explainText,
    explainPicture.element,
  );
  cleanups.push(() => explainPicture.destroy());

  // Bursts of signals become one read.
  const refreshCard = debounce(() => void loadCard().catch((e) => toast(describeError(e), 'error')), 60);

  // A key whose roles may not watch customers (a marketer's) gets the card without live updates, said once, quietly.
  const liveRefused = (what: string) => (e: GraphQLRequestError) => {
    if (e.code === 'FORBIDDEN') {
      liveDot.dataset.state = 'refused';
      liveDot.textContent = 'live: not with this key';
      liveDot.title = e.message;
    } else toast(`${what}: ${describeError(e)}`, 'error');
  };

  // --- health history: the timeline's HealthChange items, then what arrives live ------
  /** Action ids (health:<hash>) and their vertices (HealthChange:<hash>) share the hash. */
  const changeKey = (id: string) => id.slice(id.indexOf(':') + 1);
  const addHealthChange = (
    id: string,
    at: string | null,
    deviceId: string | null,
    from: string | null,
    to: string | null,
    reasons: readonly string[],
    newest: boolean,
  ) => {
    const key = changeKey(id);
    if ([...history.children].some((li) => (li as HTMLElement).dataset.change === key)) return;
    const li = h(
      'li',
      { 'data-testid': 'health-change', 'data-change': key },
      `${when(at)} ${value(deviceId)}: `,
      badge(from),
      ' → ',
      badge(to),
      reasons.length ? ` (${reasons.join('; ')})` : '',
    );
    if (newest) history.prepend(li);
    else history.append(li);
  };
  const loadHealthHistory = async () => {
    const data = await gql<{
      customer: {
        timeline: {
          edges: {
            node: {
              id: string;
              ts: string | null;
              deviceId?: string | null;
              from?: string | null;
              to?: string | null;
              reasons?: string[];
            };
          }[];
        } | null;
      } | null;
    }>(HEALTH_HISTORY, { id: customerId });
    for (const { node } of data.customer?.timeline?.edges ?? []) {
      addHealthChange(
        node.id,
        node.ts,
        node.deviceId ?? null,
        node.from ?? null,
        node.to ?? null,
        node.reasons ?? [],
        false,
      );
    }
  };

  // --- load, then follow live --------------------------------------------------------
  void (async () => {
    try {
      // Card, graph, timeline and health history are requests in flight at once: one round trip, not four.
      const cardLoaded = loadCard();
      const rest = Promise.all([
        loadGraph(),
        loadTimeline(true),
        loadHealthHistory().catch((e) => toast(describeError(e), 'error')),
      ]);
      const c = await cardLoaded;
      if (!c) return;
      // The full agent view is on screen once the card, the graph and the first timeline page are:
      // a performance mark the benchmark reads (c360 bench, console part).
      void rest.then(() => requestAnimationFrame(() => performance.mark('c360:agent-view')));
      if (c.anonymous) return;
      cleanups.push(
        subscribe<{ customerUpdated: { id: string } | null }>(
          LIVE_CARD,
          { id: c.id },
          () => refreshCard(),
          liveRefused('Live card'),
        ),
        subscribe<{
          healthChanged: { id: string; deviceId: string; from: string; to: string; at: string; reasons: string[] };
        }>(
          LIVE_HEALTH,
          { id: c.id },
          (d) => {
            const t = d.healthChanged;
            addHealthChange(t.id, t.at, t.deviceId, t.from, t.to, t.reasons, true);
            toast(`${t.deviceId} is now ${t.to}`, 'live');
            refreshCard();
          },
          liveRefused('Live health'),
        ),
      );
    } catch (e) {
      fill(header, h('p', { class: 'error' }, describeError(e)));
    }
  })();

  return () => {
    for (const c of cleanups.splice(0)) c();
  };
}
