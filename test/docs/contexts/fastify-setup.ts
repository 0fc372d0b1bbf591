// The Fastify guide before the plugin is registered: the app, the options of section 1, a secret.
import type { SamlFastifyOptions } from '@samlkit/fastify';
import type { FastifyInstance } from 'fastify';

export declare const app: FastifyInstance;
export declare const options: SamlFastifyOptions;
export declare const secret: string;
