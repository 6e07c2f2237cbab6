// The tests' own Kafka clients (admins that create and inspect topics, producers of model results,
// the palette's Kafka node loaded in-process) get the guard the gateway and its Node-RED child
// apply: without it each idle broker connection re-arms a 1 ms timer in the test process.
import { quietKafkaIdlePolling } from '../../server/src/gateway/bus/kafka/idle-polling';

quietKafkaIdlePolling();
