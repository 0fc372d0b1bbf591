// The Express guide before `createSamlExpress`: the app, the options of section 1, a secret.
import type { SamlExpressOptions } from '@samlkit/express';
import type { Express } from 'express';

export declare const app: Express;
export declare const options: SamlExpressOptions;
export declare const secret: string;
