/** Dead letters hold whatever producers sent (personal data included): admins only, replays audited. */
import type { ModulePolicy } from '../../../api/auth/field-policy';

export const deadLettersPolicy: ModulePolicy = {
  roles: {
    'Query.deadLetters': ['admin'],
    'Query.deadLetter': ['admin'],
    'Mutation.replayDeadLetters': ['admin'],
  },
  audit: {
    'Mutation.replayDeadLetters': {
      kind: 'mutation',
      describe(args, result) {
        const r = result as { replayed?: number; deadLetteredAgain?: number } | undefined;
        return {
          subject: null,
          details: {
            reason: typeof args.reason === 'string' ? args.reason : null,
            ids: Array.isArray(args.ids) ? args.ids.length : null,
            replayed: r?.replayed ?? null,
            deadLetteredAgain: r?.deadLetteredAgain ?? null,
          },
        };
      },
    },
  },
};
