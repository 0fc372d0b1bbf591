// The Express guide's application: `app`, `saml`, its options and the handlers the text names.
import type { SamlExpress, SamlExpressOptions } from '@samlkit/express';
import type { Express, RequestHandler } from 'express';

export declare const app: Express;
export declare const saml: SamlExpress;
export declare const options: SamlExpressOptions;
export declare const pay: RequestHandler;
export declare const admin: RequestHandler;
