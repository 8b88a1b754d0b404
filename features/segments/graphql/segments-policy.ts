/** Roles and audit of the segments module (segments-type-defs.ts). */
import type { ModulePolicy } from '../../../api/auth/field-policy';
import { maskDefinition } from './pii-conditions';

const segmentId = (id: unknown) => (typeof id === 'string' ? (id.startsWith('Segment:') ? id : `Segment:${id}`) : null);

export const segmentsPolicy: ModulePolicy = {
  roles: {
    // Counts and members (masked for non-PII roles): the marketer's tool.
    'Query.previewSegment': ['marketer', 'analyst', 'admin'],
    'Query.segments': ['agent', 'marketer', 'analyst', 'admin'],
    'Query.segment': ['agent', 'marketer', 'analyst', 'admin'],
    'Mutation.saveSegment': ['marketer', 'admin'],
    'Mutation.deleteSegment': ['marketer', 'admin'],
  },
  audit: {
    'Mutation.saveSegment': {
      kind: 'mutation',
      describe(args, result) {
        const saved = (result as { id?: unknown } | undefined)?.id;
        return {
          subject: segmentId(saved ?? args.id),
          details: { name: String(args.name ?? ''), update: args.id !== null && args.id !== undefined },
        };
      },
    },
    'Mutation.deleteSegment': {
      kind: 'mutation',
      describe(args, result) {
        return { subject: segmentId(args.id), details: { deleted: result === true } };
      },
    },
  },
  masks: {
    // A definition is configuration a marketer wrote and may load, edit and save again: it is
    // shown as written, except values compared with personal traits (which such a role may not
    // save anyway) and a boughtWith customer (its opaque id).
    'Segment.definition': (v, _parent, tools) => maskDefinition(v, tools.ids),
  },
};
