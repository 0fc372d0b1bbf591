// docs/logging.md: the service-provider options built as in the getting-started guides, and the
// application's own logger (`pino()` or any logger with level methods taking fields, then a message).
import type { ServiceProviderOptions } from '@samlkit/core';

type LogMethod = (fields: object, message: string) => void;
export declare const options: ServiceProviderOptions;
export declare const log: { info: LogMethod; warn: LogMethod; error: LogMethod };
