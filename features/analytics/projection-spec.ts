import {
  EDGE_LABELS,
  EDGES,
  type EdgeLabel,
  isEdgeLabel,
  isVertexLabel,
  VERTEX_LABELS,
  type VertexLabel,
} from '../../graph-schema';
import { AnalyticsError } from './analytics-error';

/**
 * Keeps only what happened inside [fromMs, toMs). `on: 'vertex'` leaves out
 * vertices whose numeric `property` is outside the window (with their edges) —
 * an Order's `ts` is on the order, not on the PLACED edge that reaches it;
 * `on: 'edge'` leaves out edges whose property is outside. Elements without a
 * numeric value are structure (a customer, a product) and always stay.
 */
export interface TimeWindow {
  readonly on: 'vertex' | 'edge';
  readonly property?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
}

/** A declared subgraph of the store that algorithms run on. */
export interface ProjectionSpec {
  /** Names the cached projection and the runs made on it. */
  readonly name: string;
  readonly vertexLabels: readonly VertexLabel[];
  readonly edgeLabels: readonly EdgeLabel[];
  /**
   * `undirected` (default): influence and communities flow both ways along a
   * customer's devices, identities and orders. `directed`: the store's edge direction.
   */
  readonly orientation?: 'undirected' | 'directed';
  readonly timeWindow?: TimeWindow;
}

/**
 * The customer graph without the clickstream: who is whom (identities), who
 * shares what (devices, accounts, addresses) and who bought what. Events are
 * left out by default because they outnumber everything else by orders of
 * magnitude and add little structure that orders do not already carry.
 */
export const CUSTOMER_GRAPH: ProjectionSpec = {
  name: 'customer-graph',
  vertexLabels: ['Customer', 'Identity', 'Device', 'Account', 'Address', 'Order', 'Product'],
  edgeLabels: ['HAS_IDENTITY', 'USES_DEVICE', 'OWNS', 'BELONGS_TO', 'HAS_ADDRESS', 'PLACED', 'CONTAINS'],
  orientation: 'undirected',
};

/** Throws BAD_PROJECTION unless every label exists and every edge label can join two projected labels. */
export function validateProjectionSpec(spec: ProjectionSpec): void {
  const bad = (message: string) => new AnalyticsError('BAD_PROJECTION', `projection ${spec.name}: ${message}`);
  if (!spec.name) throw bad('a name is required');
  if (spec.vertexLabels.length === 0) throw bad('vertexLabels is empty');
  for (const l of spec.vertexLabels) {
    if (!isVertexLabel(l)) throw bad(`unknown vertex label ${l} (one of ${VERTEX_LABELS.join(', ')})`);
  }
  for (const l of spec.edgeLabels) {
    if (!isEdgeLabel(l)) throw bad(`unknown edge label ${l} (one of ${EDGE_LABELS.join(', ')})`);
    const def = EDGES[l];
    const joins =
      def.from.some((f) => spec.vertexLabels.includes(f)) && def.to.some((t) => spec.vertexLabels.includes(t));
    if (!joins) throw bad(`edge label ${l} joins ${def.from.join('|')} to ${def.to.join('|')}, not both projected`);
  }
  const w = spec.timeWindow;
  if (w) {
    if (w.on !== 'vertex' && w.on !== 'edge') throw bad(`timeWindow.on must be vertex or edge, got ${String(w.on)}`);
    if (w.fromMs !== undefined && w.toMs !== undefined && !(w.fromMs < w.toMs)) {
      throw bad(`timeWindow.fromMs (${w.fromMs}) must be before toMs (${w.toMs})`);
    }
  }
}

export function inTimeWindow(window: TimeWindow | undefined, props: Readonly<Record<string, unknown>>): boolean {
  if (!window) return true;
  const value = props[window.property ?? 'ts'];
  if (typeof value !== 'number') return true;
  return (window.fromMs === undefined || value >= window.fromMs) && (window.toMs === undefined || value < window.toMs);
}
