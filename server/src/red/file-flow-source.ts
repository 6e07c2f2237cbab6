import * as fs from 'node:fs';
import * as path from 'node:path';
import { isFlowFile, toNodeRedFlows } from './flow-file';

/** The flows of a Loopgate flow file or a Node-RED flows.json, as the node array Node-RED runs. */
export function readFlowsFile(file: string): unknown[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8'));
  return isFlowFile(parsed) ? toNodeRedFlows([parsed]) : (parsed as unknown[]);
}
