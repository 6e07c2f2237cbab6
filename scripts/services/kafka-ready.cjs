// Exits 0 once the Kafka broker answers metadata and can create a topic with a leader;
// used by scripts/services.sh so readiness is observed, not slept.
// Usage: node kafka-ready.cjs <host:port> <timeoutSeconds>
const { Kafka, logLevel } = require('kafkajs');

const [broker, timeoutArg = '90'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutArg) * 1000;
const PROBE_TOPIC = '__loopgate_ready';

async function probe() {
  const kafka = new Kafka({
    clientId: 'loopgate-services-ready',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
    requestTimeout: 5000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) return 'no broker registered yet';
    await admin.createTopics({
      topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
      timeout: 5000,
    });
    const metadata = await admin.fetchTopicMetadata({ topics: [PROBE_TOPIC] });
    const partition = metadata.topics[0]?.partitions[0];
    return partition && partition.leader >= 0 ? null : 'probe topic has no leader yet';
  } catch (error) {
    return error.message;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

(async () => {
  let last = 'not tried';
  while (Date.now() < deadline) {
    last = await probe();
    if (last === null) process.exit(0);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`kafka not ready on ${broker}: ${last}`);
  process.exit(1);
})();
