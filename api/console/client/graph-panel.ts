/**
 * Graph pictures drawn with cytoscape.js (canvas renderer: no WebGL needed,
 * so it draws in headless browsers and on machines without a GPU). Node types
 * have their own colour and shape; hovering shows a node's properties;
 * clicking asks the owner to expand it.
 */
import cytoscape, { type Core, type ElementDefinition, type LayoutOptions } from 'cytoscape';
import { h } from './dom';
import { customerName, property, value } from './format';

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly properties?: Record<string, unknown> | null;
}
export interface GraphEdge {
  readonly id: string;
  readonly label: string;
  readonly from: string;
  readonly to: string;
  /** Drawn dashed (evidence that did not merge, a path step that is not real). */
  readonly dashed?: boolean;
}

/** Colour and shape per vertex label; the legend reads from the same table. */
export const NODE_STYLES: Readonly<Record<string, { color: string; shape: string }>> = {
  Customer: { color: '#2563eb', shape: 'ellipse' },
  Identity: { color: '#64748b', shape: 'diamond' },
  Device: { color: '#ea580c', shape: 'round-rectangle' },
  Account: { color: '#7c3aed', shape: 'hexagon' },
  Address: { color: '#a16207', shape: 'tag' },
  Order: { color: '#16a34a', shape: 'round-rectangle' },
  Product: { color: '#0d9488', shape: 'barrel' },
  Session: { color: '#94a3b8', shape: 'ellipse' },
  Event: { color: '#cbd5e1', shape: 'ellipse' },
  Interaction: { color: '#db2777', shape: 'round-triangle' },
  Segment: { color: '#ca8a04', shape: 'star' },
  Community: { color: '#e2e8f0', shape: 'round-rectangle' },
};

function shorten(s: string, n = 22): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** The caption of a node: what a person would call it. */
export function caption(n: GraphNode): string {
  const p = n.properties ?? {};
  const key = n.id.slice(n.id.indexOf(':') + 1);
  switch (n.label) {
    case 'Customer':
      return shorten(customerName(p, key));
    case 'Identity':
      return shorten(`${value(p.type ?? key.split(':')[0])}: ${value(p.value ?? key.split(':').slice(1).join(':'))}`);
    case 'Device':
      return shorten(String(p.model ?? p.type ?? key));
    case 'Order':
      return typeof p.total === 'number' ? `#${shorten(key, 10)} ${p.total.toFixed(0)} ${p.currency ?? ''}` : `#${key}`;
    case 'Product':
    case 'Account':
    case 'Segment':
      return shorten(String(p.name ?? key));
    case 'Address':
      return shorten(String(p.city ?? key));
    case 'Interaction':
      return shorten(String(p.subject ?? p.channel ?? key));
    case 'Event':
      return shorten(String(p.name ?? p.type ?? key));
    default:
      return shorten(key);
  }
}

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(caption)',
      'font-size': 9,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      color: '#1e293b',
      'text-outline-color': '#ffffff',
      'text-outline-width': 2,
      width: 18,
      height: 18,
      'background-color': 'data(color)',
      shape: 'data(shape)' as never,
      'border-width': 1,
      'border-color': '#ffffff',
    },
  },
  {
    selector: 'node[?group]',
    style: {
      width: 26,
      height: 26,
      'font-size': 10,
      'font-weight': 'bold',
      'text-valign': 'center',
      'text-margin-y': 0,
    },
  },
  { selector: 'edge[?spoke]', style: { 'target-arrow-shape': 'none', 'line-color': '#e2e8f0' } },
  { selector: 'node[?centre]', style: { width: 34, height: 34, 'font-size': 11, 'font-weight': 'bold' } },
  { selector: 'node[health = "RED"]', style: { 'border-width': 4, 'border-color': '#dc2626' } },
  { selector: 'node[health = "AMBER"]', style: { 'border-width': 4, 'border-color': '#f59e0b' } },
  { selector: 'node[?expanded]', style: { 'border-width': 3, 'border-color': '#0f172a' } },
  { selector: 'node:selected', style: { 'overlay-color': '#2563eb', 'overlay-opacity': 0.15 } },
  {
    selector: 'edge',
    style: {
      width: 1.2,
      'line-color': '#cbd5e1',
      'curve-style': 'bezier',
      'target-arrow-shape': 'triangle',
      'target-arrow-color': '#cbd5e1',
      'arrow-scale': 0.7,
    },
  },
  {
    selector: 'edge[caption]',
    style: {
      label: 'data(caption)',
      'font-size': 8,
      color: '#475569',
      'text-rotation': 'autorotate',
      'text-background-color': '#ffffff',
      'text-background-opacity': 1,
    },
  },
  { selector: 'edge[?dashed]', style: { 'line-style': 'dashed', 'line-color': '#dc2626' } },
  { selector: 'edge[?highlight]', style: { width: 3, 'line-color': '#2563eb', 'target-arrow-color': '#2563eb' } },
];

export interface GraphPanelOptions {
  /** Called when a node is clicked (the agent view expands it). */
  readonly onNodeClick?: (node: GraphNode) => void;
  /** Edge captions (explain-merge and path pictures label their steps). */
  readonly edgeCaptions?: boolean;
  /** cose (force-directed), concentric (rings around the centre) or chain (one row, in the order given: paths). */
  readonly layout?: 'cose' | 'concentric' | 'chain';
  readonly testId?: string;
}

export interface GraphPanel {
  readonly element: HTMLElement;
  /** Replaces the picture. `centre` is drawn larger. */
  set(nodes: readonly GraphNode[], edges: readonly GraphEdge[], centre?: string | null): void;
  /** Adds nodes and edges (an expansion), keeping what is drawn; returns how many nodes were new. */
  add(nodes: readonly GraphNode[], edges: readonly GraphEdge[], around?: string): number;
  /** Groups nodes into labelled boxes (communities). */
  setGroups(groups: readonly { id: string; caption: string; members: readonly GraphNode[] }[]): void;
  /** Marks a node (e.g. a device's health). */
  mark(id: string, data: Record<string, unknown>): void;
  nodeCount(): number;
  destroy(): void;
}

export function createGraphPanel(options: GraphPanelOptions = {}): GraphPanel {
  const canvas = h('div', { class: 'graph-canvas' });
  const tip = h('div', { class: 'graph-tip', hidden: true });
  const stats = h('div', { class: 'graph-stats', 'data-testid': options.testId ? `${options.testId}-stats` : null });
  const element = h(
    'div',
    { class: 'graph', role: 'figure', 'data-testid': options.testId, 'data-nodes': 0 },
    canvas,
    tip,
    stats,
  );
  let cy: Core | null = null;
  const pending: (() => void)[] = [];
  // Where a node is drawn, in CSS pixels of the canvas: browser tests click it with a real mouse.
  Object.defineProperty(element, 'c360NodePosition', {
    value: (id: string) => {
      const n = cy?.getElementById(id);
      return n?.nonempty() ? n.renderedPosition() : null;
    },
  });

  // Concentric rings: the centre innermost, its neighbours next, each expansion one ring further out.
  let nextRing = 998;
  const nodeData = (n: GraphNode, centre: boolean, ring = centre ? 1000 : 999) => {
    const style = NODE_STYLES[n.label] ?? { color: '#94a3b8', shape: 'ellipse' };
    return {
      group: 'nodes' as const,
      data: {
        id: n.id,
        label: n.label,
        caption: caption(n),
        color: style.color,
        shape: style.shape,
        centre,
        ring,
        node: n,
      },
    };
  };
  const edgeData = (e: GraphEdge) => ({
    group: 'edges' as const,
    data: {
      id: e.id,
      source: e.from,
      target: e.to,
      label: e.label,
      dashed: e.dashed === true,
      ...(options.edgeCaptions ? { caption: e.label } : {}),
    },
  });

  const refreshStats = () => {
    if (!cy) return;
    const n = cy.nodes().filter((x) => !x.data('group')).length;
    element.dataset.nodes = String(n);
    stats.textContent = `${n} nodes · ${cy.edges().length} edges`;
    // A canvas says nothing to a screen reader: name what is drawn.
    const labels = new Map<string, number>();
    cy.nodes().forEach((x) => {
      if (!x.data('group')) labels.set(x.data('label'), (labels.get(x.data('label')) ?? 0) + 1);
    });
    element.setAttribute(
      'aria-label',
      `Graph of ${n} nodes: ${[...labels].map(([l, c]) => `${c} ${l}`).join(', ')}; ${cy.edges().length} edges`,
    );
  };

  const layout = (eles?: cytoscape.Collection, fit = true) => {
    if (!cy) return;
    const name = options.layout ?? 'cose';
    const common = { name, animate: false, fit, padding: 28 };
    const opts = (
      name === 'cose'
        ? { ...common, nodeRepulsion: () => 9000, idealEdgeLength: () => 60 }
        : name === 'concentric'
          ? {
              ...common,
              concentric: (n: cytoscape.NodeSingular) => Number(n.data('ring') ?? 0),
              levelWidth: () => 1,
              minNodeSpacing: 34,
              avoidOverlap: true,
            }
          : { ...common, name: 'grid', rows: 1, avoidOverlapPadding: 40 }
    ) as LayoutOptions;
    (eles ?? cy.elements()).layout(opts).run();
  };

  // Cytoscape needs a sized container: create it once the element is in the page.
  const ensure = (): Core | null => {
    if (cy) return cy;
    if (!canvas.isConnected || canvas.clientWidth === 0) return null;
    cy = cytoscape({
      container: canvas,
      style: STYLE,
      minZoom: 0.2,
      maxZoom: 3,
      boxSelectionEnabled: false,
    });
    cy.on('tap', 'node', (evt) => {
      const n = evt.target.data('node') as GraphNode | undefined;
      if (n) options.onNodeClick?.(n);
    });
    cy.on('mouseover', 'node', (evt) => {
      const n = evt.target.data('node') as GraphNode | undefined;
      if (!n) return;
      const props = Object.entries(n.properties ?? {}).filter(([k]) => !k.startsWith('_'));
      tip.replaceChildren(
        h('strong', null, `${n.label} ${n.id.slice(n.id.indexOf(':') + 1)}`),
        h(
          'dl',
          null,
          props.slice(0, 10).flatMap(([k, v]) => [h('dt', null, k), h('dd', null, property(k, v))]),
        ),
      );
      const p = evt.renderedPosition ?? evt.target.renderedPosition();
      tip.style.left = `${Math.min(p.x + 12, canvas.clientWidth - 220)}px`;
      tip.style.top = `${p.y + 12}px`;
      tip.hidden = false;
    });
    cy.on('mouseout', 'node', () => {
      tip.hidden = true;
    });
    // Leaving the canvas fast skips cytoscape's mouseout: hide the properties then too.
    canvas.addEventListener('mouseleave', () => {
      tip.hidden = true;
    });
    return cy;
  };

  const whenReady = (work: () => void) => {
    if (ensure()) return work();
    pending.push(work);
    const retry = () => {
      if (!ensure()) return requestAnimationFrame(retry);
      for (const w of pending.splice(0)) w();
    };
    if (pending.length === 1) requestAnimationFrame(retry);
  };

  return {
    element,
    set(nodes, edges, centre = null) {
      whenReady(() => {
        const c = cy as Core;
        c.elements().remove();
        nextRing = 998;
        const ids = new Set(nodes.map((n) => n.id));
        const els: ElementDefinition[] = [
          ...nodes.map((n) => nodeData(n, n.id === centre)),
          ...edges.filter((e) => ids.has(e.from) && ids.has(e.to)).map(edgeData),
        ];
        c.add(els);
        layout();
        refreshStats();
      });
    },
    add(nodes, edges, around) {
      let added = 0;
      const fresh = nodes.filter((n) => !cy?.getElementById(n.id).nonempty());
      added = fresh.length;
      whenReady(() => {
        const c = cy as Core;
        const origin = around ? c.getElementById(around) : null;
        const at = origin?.nonempty() ? origin.position() : { x: 0, y: 0 };
        const ring = nextRing--;
        const newNodes = c.add(
          fresh.map((n, i) => ({
            ...nodeData(n, false, ring),
            position: {
              x: at.x + 70 * Math.cos((2 * Math.PI * i) / Math.max(1, fresh.length)),
              y: at.y + 70 * Math.sin((2 * Math.PI * i) / Math.max(1, fresh.length)),
            },
          })),
        );
        const newEdges = edges.filter(
          (e) =>
            c.getElementById(e.id).empty() && c.getElementById(e.from).nonempty() && c.getElementById(e.to).nonempty(),
        );
        c.add(newEdges.map(edgeData));
        if (origin?.nonempty()) origin.data('expanded', true);
        if (newNodes.nonempty()) layout(undefined, true);
        refreshStats();
      });
      return added;
    },
    setGroups(groups) {
      whenReady(() => {
        const c = cy as Core;
        c.elements().remove();
        // A community is drawn as a star: its caption node in the middle, spokes to its members.
        const els: ElementDefinition[] = [];
        for (const g of groups) {
          els.push({
            group: 'nodes',
            data: {
              id: g.id,
              caption: g.caption,
              label: 'Community',
              color: '#94a3b8',
              shape: 'round-rectangle',
              group: true,
            },
          });
          for (const m of g.members) {
            const d = nodeData(m, false);
            const id = `${g.id}/${m.id}`;
            els.push({ ...d, data: { ...d.data, id } });
            els.push({ group: 'edges', data: { id: `${id}/edge`, source: g.id, target: id, spoke: true } });
          }
        }
        c.add(els);
        layout();
        refreshStats();
      });
    },
    mark(id, data) {
      whenReady(() => {
        const n = cy?.getElementById(id);
        if (n?.nonempty()) n.data(data);
      });
    },
    nodeCount: () => cy?.nodes().filter((x) => !x.data('group')).length ?? 0,
    destroy() {
      cy?.destroy();
      cy = null;
    },
  };
}

/** The legend of node colours, for the labels present. */
export function legend(labels: Iterable<string>): HTMLElement {
  return h(
    'div',
    { class: 'legend' },
    [...new Set(labels)].map((l) => {
      const swatch = h('i', { class: 'swatch' });
      // CSSOM, not a style attribute: the Content-Security-Policy allows no inline styles.
      swatch.style.background = NODE_STYLES[l]?.color ?? '#94a3b8';
      return h('span', { class: 'legend-item' }, swatch, l);
    }),
  );
}
