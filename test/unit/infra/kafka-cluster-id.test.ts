/**
 * Issue 25: a Kafka cluster id that starts with "-" was read by StorageTool as an option, so one
 * fresh `infra up` in 64 failed. Ids are now drawn like Kafka's own `random-uuid`, and the
 * arguments attach every value with "=" so that even such an id cannot be taken for an option.
 */
import { kafkaClusterId, storageFormatArgs } from '../../../scripts/infra/servers/kafka';

/** The first 6 bits 111110 are base64url's "-": any UUID whose first byte is 0xf8-0xfb encodes to "-…". */
const leadingDashUuid = 'f8a1b2c3-d4e5-4f60-8a1b-2c3d4e5f6071';

describe('kafkaClusterId', () => {
  it('never starts with "-" and is a 16-byte version-4 UUID in unpadded base64url, over 100,000 ids', () => {
    const seen = new Set<string>();
    const malformed: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const id = kafkaClusterId();
      const bytes = Buffer.from(id, 'base64url');
      // Version nibble 4 and the RFC 4122 variant, as java.util.UUID.randomUUID() makes them.
      const wellFormed =
        /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/.test(id) &&
        bytes.length === 16 &&
        bytes[6]! >> 4 === 4 &&
        bytes[8]! >> 6 === 2;
      if (!wellFormed) malformed.push(id);
      seen.add(id);
    }
    expect(malformed).toEqual([]);
    expect(seen.size).toBe(100_000);
  });

  it('draws again when a UUID would encode to a leading "-"', () => {
    expect(Buffer.from(leadingDashUuid.replace(/-/g, ''), 'hex').toString('base64url')).toMatch(/^-/);
    // A fixed third draw: a random one starts with 0xf8-0xfb itself once in 64 runs, and the
    // function then asks for a fourth (CI once saw exactly that).
    const draws = [leadingDashUuid, leadingDashUuid, '0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3'];
    let calls = 0;
    const id = kafkaClusterId(() => draws[calls++]!);
    expect(calls).toBe(3);
    expect(id).toBe(Buffer.from(draws[2]!.replace(/-/g, ''), 'hex').toString('base64url'));
  });
});

describe('storageFormatArgs', () => {
  it('attaches the cluster id and the config path to their options, so neither can be read as an option', () => {
    const dashId = Buffer.from(leadingDashUuid.replace(/-/g, ''), 'hex').toString('base64url');
    const args = storageFormatArgs(dashId, '/tmp/server.properties');
    expect(args).toEqual(['format', `--cluster-id=${dashId}`, '--config=/tmp/server.properties']);
    // No argument is a bare value that starts with "-".
    expect(args.filter((a) => a.startsWith('-') && !a.startsWith('--'))).toEqual([]);
  });
});
