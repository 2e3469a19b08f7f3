// Tests talk to the real PostgreSQL and RabbitMQ on this machine (scripts/ensure-infra.sh makes them
// available). These defaults match a stock local install and can be overridden from the environment.
process.env.TEST_PG_ADMIN_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
process.env.TEST_AMQP_URL ??= 'amqp://guest:guest@127.0.0.1:5672';
process.env.LOG_LEVEL ??= 'silent';
process.env.TEST_REDIS_URL ??= 'redis://127.0.0.1:6379';
