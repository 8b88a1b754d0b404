import { coalesce, type GraphBatch, type Mutation, makeVersion } from '../../graph-schema';

/** Batch n of the durability test: `size` customers, each with one order, all tagged with n. */
export function embeddedWriterBatch(n: number, size: number): GraphBatch {
  const mutations: Mutation[] = [];
  for (let i = 0; i < size; i++) {
    const customer = { label: 'Customer' as const, key: `b${n}-c${i}` };
    const version = makeVersion(1_700_000_000_000 + n, `b${n}`);
    mutations.push({ op: 'upsertVertex', ...customer, props: { batch: n, name: `Customer ${n}/${i}` }, version });
    mutations.push({
      op: 'upsertEdge',
      label: 'PLACED',
      from: customer,
      to: { label: 'Order', key: `b${n}-o${i}` },
      props: { batch: n },
      version,
    });
  }
  return coalesce(mutations);
}

export function embeddedWriterCustomerIds(n: number, size: number): string[] {
  return Array.from({ length: size }, (_, i) => `Customer:b${n}-c${i}`);
}
