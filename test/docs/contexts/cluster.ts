// docs/cluster.md: an Express (or Koa) app and the RedisStore built earlier in the guide.
import type { RedisStore } from '@samlkit/redis';
import type { Express } from 'express';

export declare const app: Express;
export declare const store: RedisStore;
