/** Roles and audit of the segments module (segments-type-defs.ts). */
import type { ModulePolicy } from '../../../api/auth/field-policy';

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
    // A definition is configuration a marketer wrote; masking it would corrupt a load-edit-save round trip.
    'Segment.definition': null,
  },
};
