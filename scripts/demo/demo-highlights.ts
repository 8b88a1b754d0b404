/**
 * The customers worth showing in a demo, found without generating the stream:
 * failing routers (health RED, then GREEN when fixed), families sharing a
 * tablet (identity resolution must not merge them), B2B accounts, junk values.
 */
import { createProfile } from './customer-profile';
import { createDemoPlan, type DemoOptions } from './generate-demo';

export interface DemoHighlights {
  readonly degraded: readonly { customerId: string; deviceId: string; onset: string; recovered: string | null }[];
  readonly sharedDevices: readonly { deviceId: string; customerIds: readonly [string, string] }[];
  readonly business: readonly { customerId: string; accountId: string; company: string }[];
  readonly junk: readonly { customerId: string; email: string; phone: string }[];
}

/** Looks at the first `scan` customers (default 2000) and returns up to `limit` of each kind. */
export function demoHighlights(options: DemoOptions, limit = 5, scan = 2000): DemoHighlights {
  const plan = createDemoPlan(options);
  const degraded: DemoHighlights['degraded'][number][] = [];
  const sharedDevices: DemoHighlights['sharedDevices'][number][] = [];
  const business: DemoHighlights['business'][number][] = [];
  const junk: DemoHighlights['junk'][number][] = [];
  for (let i = 0; i < Math.min(plan.customers, scan); i++) {
    const p = createProfile(plan, i);
    if (p.degradation && degraded.length < limit) {
      degraded.push({
        customerId: p.id,
        deviceId: p.devices[0].deviceId,
        onset: new Date(p.degradation.onsetMs).toISOString(),
        recovered:
          p.degradation.recoverMs !== null && p.degradation.recoverMs < plan.windowEndMs
            ? new Date(p.degradation.recoverMs).toISOString()
            : null,
      });
    }
    if (p.sharedTablet && p.partnerIndex !== null && p.partnerIndex > i && sharedDevices.length < limit) {
      sharedDevices.push({
        deviceId: p.sharedTablet.deviceId,
        customerIds: [p.id, createProfile(plan, p.partnerIndex).id],
      });
    }
    if (p.business && business.length < limit)
      business.push({ customerId: p.id, accountId: p.accountId, company: p.business.company });
    if ((p.email === 'test@test.com' || p.phone === 'unknown') && junk.length < limit) {
      junk.push({ customerId: p.id, email: p.email, phone: p.phone });
    }
  }
  return { degraded, sharedDevices, business, junk };
}
