/**
 * Device telemetry → graph. Each indicator is its own property (`ind_<name>`)
 * so that readings carrying different indicators never overwrite each other:
 * last-writer-wins applies per indicator, by event time.
 * What the device reports about itself (`deviceType`/`type`, `manufacturer`, `model`,
 * `firmware`) lands on the Device too, versioned like every property, so a firmware
 * upgrade shows with the reading that reported it.
 * Scope: `deviceId`, `entityId`, `indicators`, `ts`, `deviceType`, `manufacturer`, `model`, `firmware`.
 */
import type { Template } from '../mapping';

export const telemetryMapping: Template = {
  vertices: [
    {
      as: 'device',
      label: 'Device',
      key: 'deviceId',
      spread: { path: 'indicators', prefix: 'ind_' },
      props: { lastSeen: 'ts', type: 'deviceType', manufacturer: 'manufacturer', model: 'model', firmware: 'firmware' },
    },
    { as: 'customer', label: 'Customer', key: 'entityId' },
  ],
  edges: [{ label: 'USES_DEVICE', from: 'customer', to: 'device', props: { lastSeen: 'ts' } }],
};
