// An application logger (pino-style), as the text names it.
export declare const logger: { warn(data: object, message: string): void };
