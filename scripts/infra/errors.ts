import { C360Error } from '../../graph-schema/errors';
import type { ServerName } from './server-name';

/** Something the local infrastructure could not do. `server` names the server when one is concerned. */
export class InfraError extends C360Error {
  override name = 'InfraError';
  readonly server: ServerName | null;
  constructor(
    message: string,
    options: { code: string; server?: ServerName | null; retriable?: boolean; cause?: unknown },
  ) {
    super(message, options);
    this.server = options.server ?? null;
  }
}

/** A program the infrastructure needs (java, mvn, postgres…) is not installed; the message says how to install it. */
export class MissingToolError extends InfraError {
  override name = 'MissingToolError';
  readonly tool: string;
  readonly installHint: string;
  constructor(tool: string, neededFor: string, installHint: string) {
    super(`${tool} is required for ${neededFor} but was not found. Install it: ${installHint}`, {
      code: 'INFRA_MISSING_TOOL',
    });
    this.tool = tool;
    this.installHint = installHint;
  }
}

/** Fetching the server's artifacts (Maven) failed; `logFile` holds the whole output. */
export class ProvisionError extends InfraError {
  override name = 'ProvisionError';
  readonly logFile: string;
  constructor(message: string, logFile: string, cause?: unknown) {
    super(message, { code: 'INFRA_PROVISION_FAILED', retriable: true, cause });
    this.logFile = logFile;
  }
}

/** A server did not become ready; the message carries the end of its log. */
export class StartError extends InfraError {
  override name = 'StartError';
  readonly logFile: string;
  constructor(server: ServerName, message: string, logFile: string, cause?: unknown) {
    super(message, { code: 'INFRA_START_FAILED', server, retriable: true, cause });
    this.logFile = logFile;
  }
}

/** The port of a server we would start is taken by a process we did not start. */
export class PortInUseError extends InfraError {
  override name = 'PortInUseError';
  constructor(server: ServerName, address: string, holder: string | null) {
    super(
      holder === null
        ? `${server}: ${address} is already in use by a process c360 did not start. Stop that process, ` +
            'or set C360_INFRA=external to use the servers already running.'
        : `${server}: ${address} is held by a c360 server of another cache (${holder}). Stop it with ` +
            '`C360_INFRA_CACHE=<that cache> c360 infra down`, or set C360_INFRA=external to use it.',
      { code: 'INFRA_PORT_IN_USE', server },
    );
  }
}
