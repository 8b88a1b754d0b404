/**
 * Everything a store shows a reader, as plain data: every visible vertex of
 * every label and every visible out-edge. Two stores (or two runs) hold the
 * same graph exactly when their dumps are equal.
 */
import { EDGE_LABELS, type GraphStore, VERTEX_LABELS } from '../../graph-schema';

export interface GraphDump {
  readonly vertices: Record<string, unknown>;
  readonly edges: Record<string, unknown>;
}

export async function dumpWholeGraph(store: GraphStore): Promise<GraphDump> {
  const vertices: Record<string, unknown> = {};
  const ids: string[] = [];
  for (const label of VERTEX_LABELS) {
    let after: string | null = null;
    for (;;) {
      const page = await store.search(label, '', { first: 500, after });
      for (const v of page.items) {
        vertices[v.id] = { props: v.props, version: v.version };
        ids.push(v.id);
      }
      if (!page.hasNextPage) break;
      after = page.cursors[page.cursors.length - 1];
    }
  }
  const edges: Record<string, unknown> = {};
  for (const id of ids) {
    let after: string | null = null;
    for (;;) {
      const [page] = await store.neighbors([{ id, direction: 'out', first: 500, after, edgeLabels: [...EDGE_LABELS] }]);
      for (const n of page.items) edges[n.edge.id] = { props: n.edge.props, version: n.edge.version };
      if (!page.hasNextPage) break;
      after = page.cursors[page.cursors.length - 1];
    }
  }
  return { vertices, edges };
}

/**
 * The part of a dump that ingest alone determines: computed-trait properties
 * (their values and versions depend on where batch boundaries and the window
 * clock fell, which a crash or a rebalance moves) and feature state (`State`
 * vertices, the HealthChange history) are left out. Feature outputs are compared by what users see in
 * the split-deployment test instead (trait values, health, segments, actions).
 */
export function ingestPart(dump: GraphDump, traitNames: readonly string[]): GraphDump {
  const vertices: Record<string, unknown> = {};
  for (const [id, v] of Object.entries(dump.vertices)) {
    if (id.startsWith('State:') || id.startsWith('HealthChange:')) continue;
    const { props, version } = v as { props: Record<string, unknown>; version: string };
    const kept = Object.fromEntries(Object.entries(props).filter(([k]) => !traitNames.includes(k)));
    vertices[id] = version.includes('~traits:') ? { props: kept } : { props: kept, version };
  }
  // Health history (HealthChange vertices over HEALTH_CHANGED edges) is proactive care's output.
  const edges = Object.fromEntries(Object.entries(dump.edges).filter(([id]) => !id.includes('HealthChange:')));
  return { vertices, edges };
}
