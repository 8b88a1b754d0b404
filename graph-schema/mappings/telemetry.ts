/**
 * Device telemetry → graph. Each indicator is its own property (`ind_<name>`)
 * so that readings carrying different indicators never overwrite each other:
 * last-writer-wins applies per indicator, by event time.
 * Scope: `deviceId`, `entityId`, `indicators`, `ts`.
 */
import type { Template } from '../mapping';

export const telemetryMapping: Template = {
  vertices: [
    {
      as: 'device',
      label: 'Device',
      key: 'deviceId',
      spread: { path: 'indicators', prefix: 'ind_' },
      props: { lastSeen: 'ts' },
    },
    { as: 'customer', label: 'Customer', key: 'entityId' },
  ],
  edges: [{ label: 'USES_DEVICE', from: 'customer', to: 'device', props: { lastSeen: 'ts' } }],
};
