/** The servers `c360 infra` manages, in the order they start (Connect needs Kafka). */
export const serverNames = ['kafka', 'gremlin', 'neo4j', 'postgres', 'connect'] as const;
export type ServerName = (typeof serverNames)[number];

export function isServerName(value: string): value is ServerName {
  return (serverNames as readonly string[]).includes(value);
}
