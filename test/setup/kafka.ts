// The tests' own Kafka clients (admins that create and inspect topics, producers of model results,
// the palette's Kafka node loaded in-process) get the guard the gateway's command topic and the
// palette's Kafka node apply: without it each idle broker connection re-arms a 1 ms timer in the test process.
import { quietKafkaIdlePolling } from '../../nodes/src/lib/kafka-idle-polling';

quietKafkaIdlePolling();
