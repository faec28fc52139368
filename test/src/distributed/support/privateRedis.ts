import { spawnSync } from 'node:child_process';

// The Redis test server lives with the Redis transport (its own tests use it too).
export {
  PrivateRedisServer as PrivateRedis,
  REDIS_REQUIRED,
  pingRedis,
} from '@datawarehouse/plugin-federation-redis/testing';

/** Whether `redis-server` and `redis-cli` can be run (the 3-process suite uses both). */
export function hasRedisBinaries(): boolean {
  return ['redis-server', 'redis-cli'].every((bin) => spawnSync(bin, ['--version']).status === 0);
}
